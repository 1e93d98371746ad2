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
from ecoute.store import custody, reviewrefs, zones
from ecoute.store.anchor import CheckpointWriter
from ecoute.store.blobs import BlobStore, get_blob_store
from ecoute.store.checkpoints import open_checkpoint_log
from ecoute.store.db import immediate_session_factory, open_engine, session_factory
from ecoute.store.keys import KeyProvider, get_key_provider
from ecoute.store.permissions import make_private_dir, private_umask
from ecoute.store.vault import Vault


@dataclass
class Store:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keys: KeyProvider
    blobs: BlobStore
    #: Signs the audit chain's head into the checkpoint log after every audited commit.
    checkpoints: CheckpointWriter | None = None
    #: Sessions whose transactions begin with BEGIN IMMEDIATE on SQLite (check-then-insert).
    immediate_sessions: sessionmaker[Session] | None = None

    @classmethod
    def open(cls, settings: Settings, *, run_migrations: bool = True) -> Store:
        """Open database, keys and blobs; refuses (``KeyStoreError``) keys inside the data dir, lost or foreign."""
        custody.check_key_dir_apart(settings)
        private_umask()  # the database, its -wal/-shm, blobs and keys are created 0600 (dirs 0700)
        make_private_dir(settings.store.data_dir)
        engine = open_engine(settings.store.db_url, run_migrations=run_migrations)
        try:
            keys = get_key_provider(settings)
            custody.check_wrapped_by(engine, keys, settings)
        except BaseException:
            engine.dispose()
            raise
        if run_migrations:
            reviewrefs.backfill(engine, keys)  # rows from before revision 0007 need the key provider
            reviewrefs.seal_legacy_reasons(engine, keys)
            zones.ensure_review_role(engine)  # PostgreSQL: the review zone's own database role
        sessions = session_factory(engine)
        checkpoints = CheckpointWriter(engine, keys, open_checkpoint_log(settings))
        checkpoints.start()  # a new store's log begins at the empty chain; a lost one is not re-created
        immediate = immediate_session_factory(engine)
        checkpoints.attach(sessions)
        checkpoints.attach(immediate)  # preparation's audited decrypts are anchored too
        return cls(settings, engine, sessions, keys, get_blob_store(settings), checkpoints, immediate)

    @contextmanager
    def session(self, *, immediate: bool = False) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises.

        ``immediate``: on SQLite the transaction begins with ``BEGIN IMMEDIATE`` (a
        check-then-insert that must not be overtaken by another writer).
        ``session.info["settings"]`` carries this store's settings to hook handlers that get
        only the session (the learning loop rewrites its files on a deletion).
        """
        if immediate and self.immediate_sessions is None:
            self.immediate_sessions = immediate_session_factory(self.engine)
        factory = (self.immediate_sessions or self.sessions) if immediate else self.sessions
        session = factory(info={"settings": self.settings})
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
