"""Errors of the review pipeline, each with the HTTP status the workstation answers with.

They derive from the project's user-facing errors, so the CLI prints them cleanly too.
"""

from __future__ import annotations

from ecoute.errors import BadInput, EcouteError, Forbidden, NotFound


class ReviewError(EcouteError):
    status = 400


class InvalidAnnotation(BadInput, ReviewError):
    status = 400


class NotYours(Forbidden, ReviewError):
    """A task outside the reviewer's languages, another reviewer's task, or a paused reviewer."""

    status = 403


class NoSuchTask(NotFound, ReviewError):
    status = 404


class AlreadySubmitted(ReviewError):
    exit_code = 2
    status = 409


class TaskGone(ReviewError):
    """The owner erased their data or withdrew consent: the task was removed."""

    exit_code = 3
    status = 410


class CapReached(ReviewError):
    exit_code = 2
    status = 429


def http_status(err: Exception) -> int:
    """The status for any user-facing error (review errors carry theirs)."""
    if isinstance(err, ReviewError):
        return err.status
    if isinstance(err, Forbidden):
        return 403
    if isinstance(err, NotFound):
        return 404
    return 400
