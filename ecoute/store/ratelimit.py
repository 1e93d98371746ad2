"""A ``limits`` storage over our own database, so rate limits hold across API processes.

Why not a storage that ``limits`` ships: it ships memory (one process only), Redis,
Memcached and MongoDB. écoute runs on its embedded SQLite file or on PostgreSQL and
must not need another server just to count failed logins, so the counters live in the
``rate_limit_counters`` table. Each increment is one atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement (SQLite ≥ 3.35 and PostgreSQL
both have it), so two processes hitting the same key never lose a count.

Only the fixed-window strategy is supported (``limits.FixedWindowRateLimiter``): it needs
nothing but ``incr``/``get``/``get_expiry``.
"""

from __future__ import annotations

import time
from typing import cast

from limits.storage import Storage
from sqlalchemy import Engine, Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ecoute.store.schema.ratelimit import RateLimitCounter

TABLE = cast(Table, RateLimitCounter.__table__)  # a declarative table is a Table at run time


class DatabaseStorage(Storage):
    """Fixed-window counters in ``rate_limit_counters``; build it with the store's engine."""

    STORAGE_SCHEME = ["ecoute+sqlalchemy"]

    def __init__(self, engine: Engine, wrap_exceptions: bool = False) -> None:
        super().__init__(None, wrap_exceptions=wrap_exceptions)
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int | float, amount: int = 1) -> int:
        now = time.time()
        fresh = max(amount, 0)  # a refund (negative amount) never starts a window in credit
        insert = self._insert(TABLE).values(key=key, count=fresh, expires_at=now + expiry)
        expired = TABLE.c.expires_at <= now
        stmt = insert.on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={
                "count": case((expired, fresh), else_=TABLE.c.count + amount),
                "expires_at": case((expired, now + expiry), else_=TABLE.c.expires_at),
            },
        ).returning(TABLE.c.count)
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            count = conn.execute(select(TABLE.c.count).where(TABLE.c.key == key,
                                                             TABLE.c.expires_at > time.time())).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as conn:
            at = conn.execute(select(TABLE.c.expires_at).where(TABLE.c.key == key)).scalar()
        now = time.time()
        return float(at) if at is not None and at > now else now

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(TABLE).where(TABLE.c.key == key))

    def purge_expired(self) -> int:
        """Drop windows that ended (called now and then; expired rows are ignored anyway)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(TABLE).where(TABLE.c.expires_at <= time.time())).rowcount or 0
