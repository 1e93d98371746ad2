"""Password hashing with argon2id (argon2-cffi); cost comes from settings so tests stay fast."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecoute.config import Settings


def hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(time_cost=settings.server.argon2_time_cost, memory_cost=settings.server.argon2_memory_kib)


def hash_password(settings: Settings, password: str) -> str:
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    return hasher(settings).hash(password)


def check_password(settings: Settings, stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return hasher(settings).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
