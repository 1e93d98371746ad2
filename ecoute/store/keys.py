"""Key providers: where the key-encryption keys (KEKs) live and how DEKs are wrapped.

Each owner's DEK is wrapped by a key that exists only inside the provider, one per owner,
and :meth:`KeyProvider.forget` destroys it. That is what makes erasure reach backups: a
database backup holds only wrapped DEKs, and once the owner's wrapping key is forgotten no
KEK in the world unwraps theirs again.

The default keeps a master key in a local file (0600, created on first start) and a random
salt per owner beside it (``keys/owners/<owner id>``); the owner's wrapping key is
HKDF(master, salt). A production deployment plugs HashiCorp Vault transit (one transit key
per owner, deleted on erasure) or a cloud KMS behind the same protocol.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

from ecoute.config import ConfigError, Settings
from ecoute.store import crypto


class KeyProvider(Protocol):
    key_id: str

    def wrap(self, dek: bytes, context: str) -> bytes:
        """Encrypt an owner's DEK under the KEK; ``context`` (the owner id) is bound as AAD."""

    def unwrap(self, wrapped: bytes, context: str) -> bytes:
        """Decrypt a wrapped DEK; fails if it was wrapped for another context."""

    def forget(self, context: str) -> None:
        """Destroy the wrapping key of ``context``: its DEK can never be unwrapped again."""


class LocalFileKeyProvider:
    """Master key in ``<data_dir>/keys/kek.bin`` (0600) and one salt file per owner.

    Refuses key files that others can read. Owner salts are created on first wrap and
    overwritten then removed by :meth:`forget`.
    """

    def __init__(self, path: Path):
        self.path = path
        self.owners_dir = path.parent / "owners"
        self._kek = read_or_create_secret(self.path)
        self.key_id = f"local-file:{crypto.keyed_tag(self._kek, 'key-id')[:16]}"

    def _owner_key(self, context: str, *, create: bool) -> bytes:
        if not context.isalnum():
            raise ValueError(f"invalid key context {context!r}")
        salt_path = self.owners_dir / context
        if not salt_path.exists():
            if not create:
                raise crypto.DecryptionError("the wrapping key of this owner was destroyed")
            read_or_create_secret(salt_path)
        salt = read_or_create_secret(salt_path)
        return crypto.derive(self._kek + salt, f"owner-kek:{context}")

    def wrap(self, dek: bytes, context: str) -> bytes:
        return crypto.seal(self._owner_key(context, create=True), dek, b"dek\x1f" + context.encode())

    def unwrap(self, wrapped: bytes, context: str) -> bytes:
        return crypto.open_sealed(self._owner_key(context, create=False), wrapped, b"dek\x1f" + context.encode())

    def forget(self, context: str) -> None:
        salt_path = self.owners_dir / context
        if salt_path.exists():
            with open(salt_path, "r+b") as fh:  # overwrite before unlinking
                fh.write(os.urandom(crypto.KEY_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            salt_path.unlink()


def read_or_create_secret(path: Path) -> bytes:
    """Read a 32-byte secret file (must be 0600), or create it atomically with 0600."""
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise PermissionError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
        data = path.read_bytes()
        if len(data) != crypto.KEY_BYTES:
            raise ValueError(f"{path}: not a {crypto.KEY_BYTES}-byte key")
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    secret = crypto.new_key()
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return secret


class VaultTransitKeyProvider:
    """HashiCorp Vault's transit engine, one transit key per owner (production engine).

    Uses Vault's documented HTTP API: ``POST /v1/transit/keys/<name>`` to create,
    ``/v1/transit/encrypt|decrypt/<name>``, and on erasure ``POST .../config``
    (deletion_allowed) then ``DELETE /v1/transit/keys/<name>``.
    """

    def __init__(self, address: str, token: str, prefix: str, client: httpx.Client | None = None):
        self.key_id = f"vault-transit:{prefix}"
        self._prefix = prefix
        self._client = client or httpx.Client(base_url=address, headers={"X-Vault-Token": token}, timeout=10)

    def _name(self, context: str) -> str:
        return f"{self._prefix}-{context}"

    def wrap(self, dek: bytes, context: str) -> bytes:
        self._client.post(f"/v1/transit/keys/{self._name(context)}", json={"type": "aes256-gcm96"})
        reply = self._client.post(f"/v1/transit/encrypt/{self._name(context)}", json={"plaintext": _b64(dek)})
        reply.raise_for_status()
        return reply.json()["data"]["ciphertext"].encode()

    def unwrap(self, wrapped: bytes, context: str) -> bytes:
        reply = self._client.post(f"/v1/transit/decrypt/{self._name(context)}", json={"ciphertext": wrapped.decode()})
        if reply.status_code in (400, 404):
            raise crypto.DecryptionError("Vault refused to unwrap the key (destroyed or wrong owner)")
        reply.raise_for_status()
        return base64.b64decode(reply.json()["data"]["plaintext"])

    def forget(self, context: str) -> None:
        name = self._name(context)
        self._client.post(f"/v1/transit/keys/{name}/config", json={"deletion_allowed": True}).raise_for_status()
        self._client.delete(f"/v1/transit/keys/{name}").raise_for_status()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _local(settings: Settings) -> KeyProvider:
    return LocalFileKeyProvider(settings.store.data_dir / "keys" / "kek.bin")


def _vault(settings: Settings) -> KeyProvider:
    cfg = settings.store
    if not cfg.vault_addr or not cfg.vault_token.get_secret_value():
        raise ConfigError("VAULT_ADDR and VAULT_TOKEN must be set for the vault-transit key provider")
    return VaultTransitKeyProvider(cfg.vault_addr, cfg.vault_token.get_secret_value(), cfg.vault_key)


KEY_PROVIDERS: dict[str, Callable[[Settings], KeyProvider]] = {
    "local-file": _local,
    "vault-transit": _vault,
}


def get_key_provider(settings: Settings) -> KeyProvider:
    try:
        return KEY_PROVIDERS[settings.store.key_provider](settings)
    except KeyError:
        raise ValueError(
            f"unknown key provider {settings.store.key_provider!r}; choose one of {sorted(KEY_PROVIDERS)}"
        ) from None
