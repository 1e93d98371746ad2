"""The key provider's index and signing keys: stable per key store, useless without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecoute.store.keys import LocalFileKeyProvider


def test_keyed_hash_is_stable_per_store_and_purpose_and_differs_across_stores(tmp_path: Path) -> None:
    one = LocalFileKeyProvider(tmp_path / "a" / "kek.bin")
    again = LocalFileKeyProvider(tmp_path / "a" / "kek.bin")
    other = LocalFileKeyProvider(tmp_path / "b" / "kek.bin")
    email = b"alice@example.org"
    assert one.keyed_hash("login", email) == again.keyed_hash("login", email)
    assert one.keyed_hash("login", email) != one.keyed_hash("owner-tag", email)
    assert one.keyed_hash("login", email) != other.keyed_hash("login", email)
    assert len(one.keyed_hash("login", email)) == 32


def test_signatures_verify_with_the_public_key_and_fail_on_a_changed_message(tmp_path: Path) -> None:
    provider = LocalFileKeyProvider(tmp_path / "kek.bin")
    signature = provider.sign(b"seq=7 head=abc")
    public = Ed25519PublicKey.from_public_bytes(provider.public_key())
    public.verify(signature, b"seq=7 head=abc")
    with pytest.raises(InvalidSignature):
        public.verify(signature, b"seq=6 head=abc")
    other = LocalFileKeyProvider(tmp_path / "other" / "kek.bin")
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(other.public_key()).verify(signature, b"seq=7 head=abc")
