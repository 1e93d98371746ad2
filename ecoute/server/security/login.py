"""Checking a password over HTTP: throttled, bounded in parallel, and uniform in time.

- Throttled per account and per client address (:mod:`.throttle`), *before* the hash is
  computed: during a lock-out even the right password is refused, so guessing stops
  paying off, and a locked-out flood costs no CPU. Failures count; successes do not.
- At most ``login_hash_concurrency`` argon2 hashes at once (a semaphore): each costs
  ``argon2_memory_kib`` of memory and a core's time, so 16 parallel attempts must not
  mean 16 × 64 MiB and a starved server. An attempt that cannot start hashing within
  ``login_hash_wait_s`` is answered 503 with ``Retry-After``.
- An unknown email is checked against a dummy hash of the same cost, so the answer
  takes as long as for a known email with a wrong password: timing does not tell
  which emails have accounts.
"""

from __future__ import annotations

import secrets
import threading
from functools import lru_cache

from fastapi import Request
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.server.security import client
from ecoute.server.security.throttle import Throttled, Throttles, hashed
from ecoute.store.passwords import check_password, hasher

_gates: dict[int, threading.BoundedSemaphore] = {}
_gates_lock = threading.Lock()


def _gate(settings: Settings) -> threading.BoundedSemaphore:
    size = max(1, settings.server.login_hash_concurrency)
    with _gates_lock:
        if size not in _gates:
            _gates[size] = threading.BoundedSemaphore(size)
        return _gates[size]


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    """A hash of a random secret, with the same parameters as real ones."""
    return hasher(Settings(argon2_time_cost=time_cost, argon2_memory_kib=memory_kib)).hash(secrets.token_hex(16))


def verify(settings: Settings, stored_hash: str | None, password: str) -> bool:
    """One bounded argon2 verification; a missing hash costs the same as a wrong password."""
    gate = _gate(settings)
    if not gate.acquire(timeout=settings.server.login_hash_wait_s):
        raise Throttled("the server is busy checking other sign-ins", 1, status=503)
    try:
        target = stored_hash or _dummy_hash(settings.server.argon2_time_cost, settings.server.argon2_memory_kib)
        ok = check_password(settings, target, password)
    finally:
        gate.release()
    return ok and stored_hash is not None


def authenticate(request: Request, kind: str, email: str, stored_hash: str | None, password: str,
                 *, session: Session, usable: bool = True) -> bool:
    """A sign-in or re-authentication attempt for ``kind:email``; raises :class:`Throttled`.

    ``stored_hash`` is None for an unknown account; ``usable`` False for one that may not
    sign in (e.g. erased): both still cost a full hash and count as failures. The request's
    ``session`` must have nothing pending: it is committed so that its database connection
    goes back to the pool while the hash waits and runs (16 waiting sign-ins must not hold
    16 connections and starve the counters and everyone else).
    """
    session.commit()
    settings: Settings = request.app.state.settings
    throttles: Throttles = request.app.state.throttles
    account = hashed(f"{kind}:{email.strip().lower()}")
    address = hashed(client.client_address(request.scope, settings))
    # Every attempt counts, before it queues for a hash: attempts the server was too busy to
    # check cost the address too, or one address could keep the hash slots jammed for free.
    throttles.login_address.take(address)
    throttles.login_account.take(account)
    try:
        ok = verify(settings, stored_hash, password) and usable
    except Throttled:  # too busy to check: no guess was made against the account
        throttles.login_account.refund(account)
        raise
    if ok:  # a success costs neither budget
        throttles.login_account.clear(account)
        throttles.login_address.refund(address)
    return ok
