"""AEAD primitives: AES-256-GCM with a fresh 12-byte nonce and explicit associated data.

Associated data binds a ciphertext to *whose* item it is and *which* item: a blob moved
to another owner or another item fails to authenticate instead of decrypting.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32
#: Format tag so the layout can evolve; part of the associated data.
VERSION = b"e1"


class DecryptionError(Exception):
    """The ciphertext does not authenticate under this key and associated data."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def aad_for(owner_id: str, item_id: str, kind: str) -> bytes:
    """Associated data: owner id, item id and kind, unambiguously joined."""
    parts = [VERSION, owner_id.encode(), item_id.encode(), kind.encode()]
    return b"\x1f".join(parts)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < len(VERSION) + NONCE_BYTES + 16 or not blob.startswith(VERSION):
        raise DecryptionError("not an écoute ciphertext")
    nonce = blob[len(VERSION) : len(VERSION) + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(VERSION) + NONCE_BYTES :], aad)
    except InvalidTag:
        raise DecryptionError("ciphertext does not authenticate (wrong key, owner or item)") from None


def derive(key: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose (HKDF-SHA256), so one DEK never serves two jobs directly."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()).derive(key)


def keyed_tag(key: bytes, value: str) -> str:
    """A keyed hash (HMAC-SHA256): lets us find rows without storing the value itself."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
