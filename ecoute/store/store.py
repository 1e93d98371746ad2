"""The store: database, blob store and key provider opened together from settings.

Code that touches owner content takes a session from :meth:`Store.session` and a
:class:`~ecoute.store.vault.Vault` bound to it, so every decrypt's audit entry commits
or rolls back together with the work it was for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ecoute.config import Settings
from ecoute.store import reviewrefs, zones
from ecoute.store.blobs import BlobStore, get_blob_store
from ecoute.store.db import immediate_session_factory, open_engine, session_factory
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
        engine = open_engine(settings.store.db_url, run_migrations=run_migrations)
        keys = get_key_provider(settings)
        if run_migrations:
            reviewrefs.backfill(engine, keys)  # rows from before revision 0007 need the key provider
            reviewrefs.seal_legacy_reasons(engine, keys)
            zones.ensure_review_role(engine)  # PostgreSQL: the review zone's own database role
        return cls(settings, engine, session_factory(engine), keys, get_blob_store(settings))

    @contextmanager
    def session(self, *, immediate: bool = False) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises.

        ``immediate``: on SQLite the transaction begins with ``BEGIN IMMEDIATE`` (a
        check-then-insert that must not be overtaken by another writer).
        """
        session = immediate_session_factory(self.engine)() if immediate else self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def vault_session(self, *, immediate: bool = False) -> Iterator[tuple[Session, Vault]]:
        with self.session(immediate=immediate) as session:
            yield session, Vault(session, self.keys, self.blobs)

    def review_session(self) -> AbstractContextManager[Session]:
        """A review-workstation transaction: on PostgreSQL it runs as the review role, which
        has no privilege on any owner-zone table (``store/zones.py``)."""
        return zones.review_zone_session(self.engine)

    def close(self) -> None:
        self.engine.dispose()
