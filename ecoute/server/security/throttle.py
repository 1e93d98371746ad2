"""Failure budgets with back-off, counted in the database so every API process shares them.

A :class:`Budget` is a list of fixed windows from a ``limits`` string, e.g.
``"5/minute;20/hour;40/day"``: the first five failures cost a minute's wait, the next
ones an hour's, then a day's — the back-off grows with the attacker's persistence and
a person who mistyped twice never notices. Counters live in ``rate_limit_counters``
(:class:`~ecoute.store.ratelimit.DatabaseStorage`), keyed by a hash of the account or
address, never the email itself.

``take`` checks every window first (a refused attempt costs nothing more, so hammering
does not extend a lock), then counts the attempt in every window (an atomic increment:
parallel attempts cannot slip through between check and count). Refusals raise
:class:`Throttled`, answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter

from ecoute.config import Settings
from ecoute.server.errors import wants_json
from ecoute.server.pages import templates
from ecoute.store.ratelimit import DatabaseStorage
from ecoute.store.store import Store


class Throttled(Exception):
    """Too many attempts: answered 429 with ``Retry-After`` (or 503 when the server is busy)."""

    def __init__(self, reason: str, retry_after: float, status: int = 429):
        self.retry_after = max(1, math.ceil(retry_after))
        self.status = status
        super().__init__(f"{reason}; try again in {_human(self.retry_after)}")


def _human(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


def hashed(value: str) -> str:
    """Counter keys hold hashes: the table reveals neither emails nor addresses."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class Budget:
    def __init__(self, storage: DatabaseStorage, name: str, spec: str, reason: str):
        self.name = name
        self.items: list[RateLimitItem] = parse_many(spec)
        self.limiter = FixedWindowRateLimiter(storage)
        self.reason = reason

    def _wait(self, item: RateLimitItem, key: str) -> float:
        return self.limiter.get_window_stats(item, self.name, key).reset_time - time.time()

    def check(self, key: str) -> None:
        """Raise :class:`Throttled` if any window is used up (nothing is counted)."""
        for item in self.items:
            if not self.limiter.test(item, self.name, key):
                raise Throttled(self.reason, self._wait(item, key))

    def take(self, key: str) -> None:
        """Check, then count one attempt in every window."""
        self.check(key)
        exhausted = [item for item in self.items if not self.limiter.hit(item, self.name, key)]
        if exhausted:  # a parallel attempt took the last one first
            raise Throttled(self.reason, max(self._wait(item, key) for item in exhausted))

    def refund(self, key: str) -> None:
        """Give back an attempt that never got an answer (the server was too busy to check it)."""
        for item in self.items:
            self.limiter.storage.incr(item.key_for(self.name, key), item.get_expiry(), amount=-1)

    def count(self, key: str) -> None:
        """Count a failure without checking (when the refusal is decided elsewhere)."""
        for item in self.items:
            self.limiter.hit(item, self.name, key)

    def clear(self, key: str) -> None:
        for item in self.items:
            self.limiter.clear(item, self.name, key)


@dataclass
class Throttles:
    login_account: Budget
    login_address: Budget
    pairing_start: Budget
    pairing_claim: Budget
    storage: DatabaseStorage

    @classmethod
    def for_store(cls, store: Store) -> Throttles:
        settings: Settings = store.settings
        storage = DatabaseStorage(store.engine)
        return cls(
            login_account=Budget(storage, "login-account", settings.server.login_limit_account,
                                 "too many sign-in attempts for this account"),
            login_address=Budget(storage, "login-address", settings.server.login_limit_address,
                                 "too many sign-in attempts from your network address"),
            pairing_start=Budget(storage, "pairing-start", settings.server.pairing_start_limit,
                                 "too many pairings started from this address"),
            pairing_claim=Budget(storage, "pairing-claim", settings.server.pairing_claim_limit,
                                 "too many wrong pairing codes"),
            storage=storage,
        )


async def throttled(request: Request, err: Exception) -> Response:
    assert isinstance(err, Throttled)
    headers = {"Retry-After": str(err.retry_after)}
    if wants_json(request):
        return JSONResponse({"detail": str(err)}, status_code=err.status, headers=headers)
    return templates.TemplateResponse(request, "owner/error.html", {"message": str(err), "status": err.status},
                                      status_code=err.status, headers=headers)


def install_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(Throttled, throttled)
