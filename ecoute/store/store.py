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
from ecoute.store.anchor import CheckpointWriter
from ecoute.store.blobs import BlobStore, get_blob_store
from ecoute.store.checkpoints import open_checkpoint_log
from ecoute.store.db import open_engine, session_factory
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

    @classmethod
    def open(cls, settings: Settings, *, run_migrations: bool = True) -> Store:
        private_umask()  # the database, its -wal/-shm, blobs and keys are created 0600 (dirs 0700)
        make_private_dir(settings.store.data_dir)
        engine = open_engine(settings.store.db_url, run_migrations=run_migrations)
        keys = get_key_provider(settings)
        sessions = session_factory(engine)
        checkpoints = CheckpointWriter(engine, keys, open_checkpoint_log(settings))
        checkpoints.start()  # a new store's log begins at the empty chain; a lost one is not re-created
        checkpoints.attach(sessions)
        return cls(settings, engine, sessions, keys, get_blob_store(settings), checkpoints)

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
