"""Rate-limit counters shared by every API process (login throttling, pairing limits).

One row per limit window key (``limits`` builds the keys): a count and the moment the
window ends. Kept in the database rather than in memory so that two API processes on
one database see the same failures; no owner id is stored (keys hold hashes of emails
and client addresses only).
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecoute.store.schema.base import Base


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    #: Unix time (seconds) when this window ends and the count starts again from zero.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


__all__ = ["RateLimitCounter"]
