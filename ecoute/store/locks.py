"""Row locks that serialise an owner's consent and deletions with review-task preparation.

Preparation checks "opted in, turn still there" and then inserts a task; opt-out, erasure
and recording deletion change exactly what that check read. Both sides take the same
lock before they read, so one always waits for the other to commit, and no task can exist
after an opt-out or a deletion has committed:

- PostgreSQL: ``SELECT … FOR UPDATE`` on the owner's row (the consent ledger is
  append-only, so the owner row stands for "the owner's consent") and on the turn rows;
- SQLite has no row locks: the first write of a transaction takes the database's single
  write lock, so a harmless write to the owner row takes it at once (preparation also
  begins ``BEGIN IMMEDIATE``, see :func:`ecoute.store.db.immediate_session_factory`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecoute.store.schema.owner import Owner, Turn


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def lock_owner(session: Session, owner_id: str) -> None:
    """Hold the owner's consent lock until the session's transaction ends."""
    if _is_sqlite(session):
        session.execute(update(Owner).where(Owner.id == owner_id).values(status=Owner.status)
                        .execution_options(synchronize_session=False))
        return
    session.execute(select(Owner.id).where(Owner.id == owner_id).with_for_update())


def lock_turns(session: Session, turn_ids: Sequence[str]) -> set[str]:
    """Lock these turn rows (PostgreSQL); returns the ids that still exist."""
    ids = sorted(set(turn_ids))
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        query = select(Turn.id).where(Turn.id.in_(ids[i : i + 500]))
        if not _is_sqlite(session):
            query = query.with_for_update()
        found.update(session.execute(query).scalars())
    return found
