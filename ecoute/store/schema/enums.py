"""The closed sets of values the schema's string columns hold.

Why ``StrEnum``: a member *is* its string (``StaffRole.LEAD == "lead"``), so rows, JSON
and templates see exactly the values they saw before, while the code names a value once
and a typo becomes an ``AttributeError`` instead of a silent mismatch. The columns stay
plain strings (no schema change): these enums list what may be written there.
"""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    """``staff.role``: what a staff account may do (never an owner)."""

    REVIEWER = "reviewer"
    LEAD = "lead"
    OFFICER = "officer"
    ML = "ml"


class ActorRole(StrEnum):
    """``audit_entries.role``: who acted; a staff member acts with their :class:`StaffRole`."""

    OWNER = "owner"
    REVIEWER = "reviewer"
    LEAD = "lead"
    OFFICER = "officer"
    ML = "ml"
    SYSTEM = "system"
    DEVICE = "device"


#: Staff who hear clips: the only roles that take review tasks.
REVIEW_ROLES = (StaffRole.REVIEWER, StaffRole.LEAD)


class TaskStatus(StrEnum):
    """``review_tasks.status``."""

    PENDING = "pending"
    ASSIGNED = "assigned"
    DONE = "done"
    SENSITIVE = "sensitive"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"


class TaskQueue(StrEnum):
    """``review_tasks.queue``: sensitive content routed by policy goes to leads only."""

    GENERAL = "general"
    LEAD = "lead"


class AssignmentState(StrEnum):
    """``review_assignments.state``."""

    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"
    ESCALATED = "escalated"
    SENSITIVE = "sensitive"
    EXPIRED = "expired"


class AnnotationKind(StrEnum):
    """``annotations.kind``: what a reviewer did with a task."""

    LABEL = "label"
    SENSITIVE = "sensitive"
    ESCALATE = "escalate"
    SKIP = "skip"


class SampleStatus(StrEnum):
    """``review_samples.status``: what became of a turn picked for review."""

    PREPARING = "preparing"
    TASK = "task"
    EXCLUDED = "excluded"
    GONE = "gone"
    CANCELLED = "cancelled"
    #: Preparation raised; the sample is not retried.
    FAILED = "failed"


class RequestKind(StrEnum):
    """``dsr_requests.kind``: the owner's right being exercised."""

    EXPORT = "export"
    ERASURE = "erasure"


class RequestStatus(StrEnum):
    """``dsr_requests.status``."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: A request still to finish: the page shows it as busy, the job runner resumes it.
REQUEST_IN_PROGRESS = (RequestStatus.PENDING, RequestStatus.RUNNING)


class OwnerStatus(StrEnum):
    """``owners.status``: an erased owner keeps a content-free row so receipts stay checkable."""

    ACTIVE = "active"
    ERASING = "erasing"
    ERASED = "erased"


class LoginSubject(StrEnum):
    """``login_sessions.subject_kind``: owners and staff log in apart, with their own cookies."""

    OWNER = "owner"
    STAFF = "staff"


class ConsentPurpose(StrEnum):
    """``consents.purpose``: what an owner agreed (or refused) to."""

    REVIEW = "review"
    PARTNER = "partner"


class ConsentChannel(StrEnum):
    """``consents.via``: where the owner said it."""

    WEB = "web"
    VOICE = "voice"
    API = "api"
    CLI = "cli"


class DatasetKind(StrEnum):
    """``dataset_versions.kind``: selected from annotations, or the previous version minus removed tasks."""

    BUILD = "build"
    REBUILD = "rebuild"


class Split(StrEnum):
    """``dataset_items.split``: fixed by a hash of the task id, so a task never changes side."""

    TRAIN = "train"
    TEST = "test"


class ProposalStatus(StrEnum):
    """``template_proposals.status``."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


__all__ = [
    "REQUEST_IN_PROGRESS",
    "REVIEW_ROLES",
    "ActorRole",
    "AnnotationKind",
    "AssignmentState",
    "ConsentChannel",
    "ConsentPurpose",
    "DatasetKind",
    "LoginSubject",
    "OwnerStatus",
    "ProposalStatus",
    "RequestKind",
    "RequestStatus",
    "SampleStatus",
    "Split",
    "StaffRole",
    "TaskQueue",
    "TaskStatus",
]
