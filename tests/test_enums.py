"""The StrEnums name the values the code always wrote: rows and JSON must not change."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest
from sqlalchemy import String, text

from ecoute.assistant.pipeline.result import TurnResult
from ecoute.assistant.verify import DiscardReason
from ecoute.privacy.sensitive import DECISIONS, SensitiveDecision, parse_policy, screen
from ecoute.store.schema import Base, enums
from ecoute.store.schema.enums import RequestKind, RequestStatus, StaffRole, TaskStatus
from ecoute.store.schema.owner import DataSubjectRequest, Household, Owner
from ecoute.store.schema.review import ReviewTask, Staff
from ecoute.store.store import Store

#: Which column each schema enum describes.
COLUMNS: dict[type[StrEnum], list[str]] = {
    enums.StaffRole: ["staff.role"],
    enums.TaskStatus: ["review_tasks.status"],
    enums.TaskQueue: ["review_tasks.queue"],
    enums.AssignmentState: ["review_assignments.state"],
    enums.AnnotationKind: ["annotations.kind"],
    enums.SampleStatus: ["review_samples.status"],
    enums.RequestKind: ["dsr_requests.kind"],
    enums.RequestStatus: ["dsr_requests.status"],
    enums.OwnerStatus: ["owners.status"],
    enums.ProposalStatus: ["template_proposals.status"],
    enums.ConsentPurpose: ["consents.purpose"],
    enums.ConsentChannel: ["consents.via"],
    enums.LoginSubject: ["login_sessions.subject_kind"],
    enums.ActorRole: ["audit_entries.role"],
    enums.DatasetKind: ["dataset_versions.kind"],
    enums.Split: ["dataset_items.split"],
}


def test_every_schema_enum_is_mapped_to_its_columns() -> None:
    declared = {v for v in vars(enums).values() if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum}
    assert declared == set(COLUMNS)


@pytest.mark.parametrize("enum_cls", list(COLUMNS), ids=lambda e: e.__name__)
def test_values_fit_their_column_and_defaults_are_members(enum_cls: type[StrEnum]) -> None:
    for dotted in COLUMNS[enum_cls]:
        table, column = dotted.split(".")
        col = Base.metadata.tables[table].c[column]
        assert isinstance(col.type, String) and col.type.length is not None
        assert max(len(m.value) for m in enum_cls) <= col.type.length, dotted
        if col.default is not None:
            assert col.default.arg in set(enum_cls), dotted


def test_members_are_their_strings() -> None:
    assert StaffRole.LEAD == "lead" and f"{StaffRole.LEAD}" == "lead" and str(TaskStatus.DONE) == "done"
    assert json.dumps({"status": RequestStatus.DONE, RequestKind.EXPORT: 1}) == '{"status": "done", "export": 1}'
    assert DECISIONS == ("allow", "lead_only", "exclude")  # strictness order kept
    assert set(enums.StaffRole) <= set(enums.ActorRole)  # staff act in the audit log under their role


def test_rows_hold_the_plain_strings(store: Store) -> None:
    with store.session() as session:
        household = Household(name="H")
        session.add(household)
        session.flush()
        owner = Owner(household_id=household.id, display_name="A")
        session.add(owner)
        session.add(Staff(email="lead@example.org", display_name="L", password_hash="x", role=StaffRole.LEAD))
        session.add(ReviewTask(language="en"))  # the status default comes from the enum
        session.flush()
        session.add(DataSubjectRequest(owner_id=owner.id, kind=RequestKind.EXPORT, status=RequestStatus.RUNNING))
        session.flush()
        raw = session.execute(text(
            "SELECT (SELECT role FROM staff), (SELECT status FROM review_tasks), (SELECT status FROM owners), "
            "(SELECT kind || '/' || status FROM dsr_requests)")).one()
        session.rollback()
    assert tuple(raw) == ("lead", "pending", "active", "export/running")
    assert all(type(v) is str for v in raw)


def test_turn_json_keeps_the_reason_string() -> None:
    result = TurnResult(wake=True, wake_score=0.9, false_activation=True,
                        false_activation_reason=DiscardReason.TRANSCRIPT_DOES_NOT_START_WITH_WAKE_WORD)
    out = json.loads(json.dumps(result.to_json()))
    assert out["false_activation_reason"] == "transcript_does_not_start_with_wake_word"


def test_screen_json_keeps_the_decision_string() -> None:
    result = screen("what's the balance on my bank account", "en",
                    policy="financial=lead_only,credentials=exclude")
    assert result.decision is SensitiveDecision.LEAD_ONLY
    assert json.loads(json.dumps(result.to_json()))["decision"] == "lead_only"
    assert parse_policy("health=exclude") == {"health": "exclude"}
