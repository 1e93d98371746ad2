"""The store: database, blob store and key provider opened together from settings.

Code that touches owner content takes a session from :meth:`Store.session` and a
:class:`~ecoute.store.vault.Vault` bound to it, so every decrypt's audit entry commits
or rolls back together with the work it was for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ecoute.config import Settings
from ecoute.store.blobs import BlobStore, get_blob_store
from ecoute.store.db import open_engine, session_factory
from ecoute.store.keys import KeyProvider, get_key_provider
from ecoute.store.vault import Vault


@dataclass
class Store:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keys: KeyProvider
    blobs: BlobStore

    @classmethod
    def open(cls, settings: Settings, *, run_migrations: bool = True) -> Store:
        settings.store.data_dir.mkdir(parents=True, exist_ok=True)
        keys = get_key_provider(settings)
        engine = open_engine(settings.store.db_url, run_migrations=run_migrations, key_provider=keys)
        return cls(settings, engine, session_factory(engine), keys, get_blob_store(settings))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def vault_session(self) -> Iterator[tuple[Session, Vault]]:
        with self.session() as session:
            yield session, Vault(session, self.keys, self.blobs)

    def close(self) -> None:
        self.engine.dispose()
