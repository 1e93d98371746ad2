"""Hashes of bearer secrets (session tokens, device tokens, pairing codes).

Only the hash is stored, so a copy of the database cannot be replayed as a login. One
function in the store layer, so the server (checking a token) and the services (issuing
one) agree on the hash without the services importing the server.
"""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> str:
    """SHA-256 hex of a high-entropy secret (no salt needed: the secret is random)."""
    return hashlib.sha256(token.encode()).hexdigest()
