"""Dataset lineage hooks called by deletion and erasure (filled in by the learning loop).

``mark_tasks_removed`` is called, in the deleting transaction, with the ids of review
tasks whose source recording was deleted or whose owner was erased; the learning loop
marks every dataset version containing one of them stale and schedules a rebuild.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def mark_tasks_removed(session: Session, task_ids: list[str]) -> int:
    """Mark dataset versions containing ``task_ids`` stale; returns how many were marked.

    No dataset tables exist until the learning loop lands, so nothing can contain them yet.
    """
    return 0
