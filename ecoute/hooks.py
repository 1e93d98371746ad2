"""Named hooks: how a lower layer triggers work in a higher one without importing it.

Layers point one way (the table is in ``tests/test_architecture.py``). Sometimes a lower
layer must still cause work above it: deleting an owner's recordings (privacy) must purge
the review tasks made from them (review) and the dataset items built from those (improve).
The lower layer declares a :class:`Hook` and fires it; the higher layer's handlers are
registered at start-up by the one wiring function, :func:`ecoute.services.wiring.wire_hooks`,
which the server app factory, the CLI entry, the job runner and the test conftest call.

Handlers run synchronously, in the order they were registered, with the payload the caller
built — typically holding the caller's session — so their writes land in the caller's
transaction: the deletion and the purge commit or roll back together.

A hook that carries a privacy promise is declared ``required``: firing it while no handler
is registered raises :class:`HookNotWired` instead of silently skipping the purge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")


class HookNotWired(RuntimeError):
    """A required hook fired with no handler: a start-up path forgot to call ``wire_hooks``.

    A programming error, not a user error, so it is not an :class:`~ecoute.errors.EcouteError`.
    """


class Hook(Generic[P, R]):
    """One named event: handlers take the payload ``P`` and return ``R`` (collected by :meth:`fire`)."""

    def __init__(self, name: str, *, required: bool, doc: str) -> None:
        if name in _DECLARED:
            raise ValueError(f"hook {name!r} is declared twice")
        self.name = name
        self.required = required
        self.doc = doc
        self._handlers: list[Callable[[P], R]] = []
        _DECLARED[name] = self

    @property
    def handlers(self) -> tuple[Callable[[P], R], ...]:
        return tuple(self._handlers)

    def register(self, handler: Callable[[P], R]) -> Callable[[P], R]:
        """Add ``handler``; registering the same one again is a no-op, so wiring is idempotent."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def unregister(self, handler: Callable[[P], R]) -> None:
        self._handlers.remove(handler)

    def fire(self, payload: P) -> list[R]:
        """Call every handler with ``payload``; their results, in registration order.

        An exception in a handler propagates to the caller, whose transaction then rolls back.
        """
        if not self._handlers and self.required:
            raise HookNotWired(f"hook {self.name!r} fired with no handler registered ({self.doc}); "
                               "call ecoute.services.wiring.wire_hooks() at start-up")
        return [handler(payload) for handler in list(self._handlers)]

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, required={self.required}, handlers={len(self._handlers)})"


_DECLARED: dict[str, Hook] = {}


def declared() -> dict[str, Hook]:
    """Every hook declared so far, by name (those whose modules have been imported)."""
    return dict(_DECLARED)
