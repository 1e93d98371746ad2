"""Data-subject requests (export, erasure) as the running stages load them.

A stage keeps only the request id between its short transactions and reloads the row in
each; the row is never deleted (its receipt must stay checkable), so a missing one is a
wrong id, reported as such rather than as an ``AttributeError`` on ``None``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecoute.errors import NotFound
from ecoute.store.schema.owner import DataSubjectRequest


def load_request(session: Session, request_id: str) -> DataSubjectRequest:
    """The request ``request_id``; :class:`NotFound` if there is none."""
    request = session.get(DataSubjectRequest, request_id)
    if request is None:
        raise NotFound(f"no such data-subject request: {request_id}")
    return request
