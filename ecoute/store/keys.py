"""Key providers: where the key-encryption keys (KEKs) live and how DEKs are wrapped.

Each owner's DEK is wrapped by a key that exists only inside the provider, one per owner,
and :meth:`KeyProvider.forget` destroys it. That is what makes erasure reach backups: a
database backup holds only wrapped DEKs, and once the owner's wrapping key is forgotten no
KEK in the world unwraps theirs again.

The default keeps a master key in a local file (0600, created on first start) and a random
salt per owner beside it (``keys/owners/<owner id>``); the owner's wrapping key is
HKDF(master, salt). A production deployment plugs an HSM behind the same protocol.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ecoute import plugins
from ecoute.config import Settings
from ecoute.plugins import Family
from ecoute.store import crypto


@runtime_checkable
class KeyProvider(Protocol):
    key_id: str

    def wrap(self, dek: bytes, context: str) -> bytes:
        """Encrypt an owner's DEK under the KEK; ``context`` (the owner id) is bound as AAD."""

    def unwrap(self, wrapped: bytes, context: str) -> bytes:
        """Decrypt a wrapped DEK; fails if it was wrapped for another context."""

    def forget(self, context: str) -> None:
        """Destroy the wrapping key of ``context``: its DEK can never be unwrapped again."""

    def keyed_hash(self, purpose: str, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` under the provider's index key for ``purpose``.

        Finds rows without storing the value (login by email, owner tags): with SQL access
        alone, and no key provider, nobody can recompute or invert these hashes.
        """

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature by the provider's audit signing key (audit checkpoints)."""

    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key that verifies :meth:`sign`."""


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

    def keyed_hash(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(crypto.derive(self._kek, f"index:{purpose}"), data, hashlib.sha256).digest()

    def _signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(crypto.derive(self._kek, "audit-signing"))

    def sign(self, message: bytes) -> bytes:
        return self._signing_key().sign(message)

    def public_key(self) -> bytes:
        return self._signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

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


# Providers are built per store (not cached): each holds keys read from its own data dir.
@plugins.declare(plugins.ANY_LANGUAGE)
def local_file(settings: Settings) -> KeyProvider:
    return LocalFileKeyProvider(settings.store.data_dir / "keys" / "kek.bin")


@plugins.declare(plugins.ANY_LANGUAGE)
def get_key_provider(settings: Settings) -> KeyProvider:
    provider = plugins.create(Family.KEYS, settings)
    if not isinstance(provider, KeyProvider):
        raise plugins.wrong_engine(Family.KEYS, provider, KeyProvider)
    return provider
