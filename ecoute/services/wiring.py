"""The one place where higher layers register with the hooks lower layers fire.

Called at every start-up path — the server app factory, the CLI entry, the job runner and
the test conftest — so that every hook a privacy promise depends on has its handler before
the first request. Listing the registrations here, rather than letting modules register
themselves on import, keeps them visible and independent of import order. Idempotent.
"""

from __future__ import annotations

from ecoute.improve import lineage
from ecoute.privacy import hooks as privacy_hooks
from ecoute.review import purge


def wire_hooks() -> None:
    """Register every handler with its hook (safe to call more than once)."""
    # deleting recordings removes the review tasks made from them...
    privacy_hooks.turns_deleted.register(purge.on_turns_deleted)
    # ...erasing an owner removes all of theirs...
    privacy_hooks.owner_erased.register(purge.on_owner_erased)
    # ...and either way the dataset items built from those tasks go and their versions go stale
    privacy_hooks.review_tasks_gone.register(lineage.on_review_tasks_gone)
