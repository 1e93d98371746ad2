"""Key custody checks made before a store opens: the keys apart from the data, and the right keys.

Erasure reaches backups only if the key store is *not* in the backups of the data: a copy of
the data directory restored after an erasure must meet the live key store, in which the
erased owner's key no longer exists. So the key store lives outside the data directory
(``ECOUTE_KEY_DIR``) and écoute refuses to start when it is inside, when a master key is
left over in the data directory from an older layout, when the key store is missing for a
data directory that already holds wrapped owner keys (a lost key store is restored, never
silently replaced by a new master key), and when the data was wrapped by another key store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, create_engine, inspect, text

from ecoute.config import Settings
from ecoute.errors import EcouteError


class KeyStoreError(EcouteError):
    """The key store cannot be used as configured; the message names the path and the fix."""

    exit_code = 2


class KeyStoreInsideData(KeyStoreError):
    """The key store is inside the data directory, so every data backup would carry the keys."""


class KeyStoreMissing(KeyStoreError):
    """The key store (or the token) is not there although the data needs it."""


class KeyStoreUnreadable(KeyStoreError):
    """The key store is there but cannot be read safely (mode, size, permissions, PIN)."""


class KeyStoreMismatch(KeyStoreError):
    """The data's owner keys were wrapped by another key store than the configured one."""


class HasKeyId(Protocol):
    key_id: str


def resolved(path: Path) -> Path:
    """``path`` with symlinks resolved, whether or not it exists yet."""
    return Path(os.path.realpath(path.expanduser()))


def check_key_dir_apart(settings: Settings) -> None:
    """Refuse a key dir inside the data dir (symlinks resolved) or a master key left in the data dir."""
    data, keys = resolved(settings.store.data_dir), resolved(settings.store.key_dir)
    if keys == data or keys.is_relative_to(data):
        raise KeyStoreInsideData(
            f"the key store {settings.store.key_dir} (resolved: {keys}) is inside the data directory "
            f"{settings.store.data_dir} (resolved: {data}): every backup of the data would carry the keys, and "
            f"erasure would not reach those backups. Fix: move the key store out, e.g. "
            f"mv {keys} ~/.config/ecoute/keys, and set ECOUTE_KEY_DIR to its new place "
            f"(the default is ~/.config/ecoute/keys).")
    legacy = settings.store.data_dir / "keys"
    if (legacy / "kek.bin").exists() or (legacy / "owners").exists():
        raise KeyStoreInsideData(
            f"a key store is left inside the data directory at {legacy} (the old layout): every backup of "
            f"{settings.store.data_dir} carries it, and erasure would not reach those backups. Fix: move it out, "
            f"e.g. mkdir -p {settings.store.key_dir} && mv {legacy}/kek.bin {legacy}/owners {settings.store.key_dir}/ "
            f"(or set ECOUTE_KEY_DIR), then check that no backup still holds the old copy.")


def _has_wrapped_keys(engine: Engine) -> bool:
    if not inspect(engine).has_table("owners"):
        return False
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM owners WHERE wrapped_dek IS NOT NULL LIMIT 1")).first() is not None


def holds_wrapped_keys(settings: Settings) -> bool:
    """True if the store already holds owner DEKs wrapped by some key store (so it is not a first start)."""
    url = settings.store.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    engine = create_engine(url)
    try:
        return _has_wrapped_keys(engine)
    finally:
        engine.dispose()


def first_start(settings: Settings) -> bool:
    """Whether a key provider may create its keys: only while no owner key has been wrapped."""
    return not holds_wrapped_keys(settings)


def check_wrapped_by(engine: Engine, keys: HasKeyId, settings: Settings) -> None:
    """Refuse a store whose owner keys were wrapped by another key store than ``keys``."""
    if not inspect(engine).has_table("owners"):
        return
    with engine.connect() as conn:
        others = [row[0] for row in conn.execute(text(
            "SELECT DISTINCT kek_id FROM owners WHERE wrapped_dek IS NOT NULL AND kek_id IS NOT NULL "
            "AND kek_id <> :mine"), {"mine": keys.key_id})]
    if others:
        raise KeyStoreMismatch(
            f"the data in {settings.store.data_dir} was written with key store {', '.join(sorted(others))}, but the "
            f"configured key store is {keys.key_id} ({settings.store.key_provider}, key dir {settings.store.key_dir}). "
            f"Fix: point ECOUTE_KEY_DIR (or the PKCS#11 token settings) at the key store this data was written "
            f"with; restore it from its backup if it was lost.")


def missing_message(what: str, settings: Settings) -> str:
    """Why a key store that the data needs is missing, and what to do (never: create a new one)."""
    return (f"{what} is missing, but the data in {settings.store.data_dir} holds owner keys wrapped by it. "
            f"Fix: restore the key store from its backup (README, Operations) or point "
            f"ECOUTE_KEY_DIR / the PKCS#11 settings at it. écoute will not create a new master key over "
            f"existing data: every owner would become unreadable.")
