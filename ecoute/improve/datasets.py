"""Versioned datasets of reviewed requests, with exact lineage (which review tasks).

A build selects every task that is done, not sensitive, labelled by reviewers who pass
their gold checks, and — where it was reviewed twice — agreed on. It copies the agreed
annotation's payload *as ciphertext*: the item stays sealed with the task key, so a build
needs no key at all, and once a task key is gone (recording deleted, owner erased) no
version anywhere can read that item again.

A version is immutable. When a task it contains is removed,
:func:`ecoute.improve.lineage.mark_tasks_removed` marks it stale; a stale version refuses
to be used for training (:class:`StaleDataset`) and :func:`rebuild_stale` (a job stage)
makes a new version from the same lineage minus the removed tasks, by copying ciphertext
again — no decryption, so a rebuild costs a fraction of the first build.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session

from ecoute.errors import BadInput, NotFound
from ecoute.improve.lineage import mark_tasks_removed
from ecoute.improve.taskcrypt import TaskKeys, open_annotation, open_content
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.datasets import DatasetItem, DatasetVersion
from ecoute.store.schema.owner import Owner, ReviewLink
from ecoute.store.schema.review import Annotation, ReviewTask
from ecoute.store.schema.review_qc import ReviewAgreement
from ecoute.store.vault import Vault

#: A reviewer's labels count only with at least this gold accuracy over their gold items...
MIN_GOLD_ACCURACY = 0.8
#: ...and at least this many gold items answered (an unchecked reviewer does not count).
MIN_GOLD_ITEMS = 1
#: Two reviews agree when they chose the same intent and their transcripts differ by at most this WER.
MAX_AGREEMENT_WER = 0.1
#: Share of tasks held out for evaluation (decided by the task id, so stable across versions).
TEST_SHARE = 0.2
_CHUNK = 500


class StaleDataset(BadInput):
    """A dataset version that contains removed data was asked to train something."""


@dataclass
class Example:
    """One decrypted dataset item, for training or evaluation (plaintext: keep it in memory)."""

    task_id: str
    language: str
    intent: str | None
    transcript: str
    asr_transcript: str | None
    slots: dict = field(default_factory=dict)
    split: str = "train"
    audio_blob: str | None = None


def split_of(task_id: str) -> str:
    return "test" if hashlib.sha256(task_id.encode()).digest()[0] < 256 * TEST_SHARE else "train"


def lineage_digest(task_ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(task_ids)).encode()).hexdigest()


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def reviewer_gold_accuracy(session: Session) -> dict[str, tuple[float, int]]:
    """Per reviewer: (share of gold items answered correctly, how many gold items)."""
    rows = session.execute(
        select(Annotation.reviewer_id, Annotation.gold_correct, func.count())
        .where(Annotation.gold_correct.is_not(None))
        .group_by(Annotation.reviewer_id, Annotation.gold_correct)
    ).all()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for reviewer, correct, count in rows:
        tally[reviewer][0 if correct else 1] += count
    return {r: (ok / (ok + bad), ok + bad) for r, (ok, bad) in tally.items()}


def _agreements(session: Session, task_ids: list[str]) -> dict[str, tuple[str, str, float]]:
    out = {}
    for chunk in _chunks(task_ids):
        for row in session.execute(select(ReviewAgreement).where(ReviewAgreement.task_id.in_(chunk))).scalars():
            out[row.task_id] = (row.intent_a, row.intent_b, row.wer)
    return out


def _readable_tasks(session: Session, task_ids: list[str]) -> set[str]:
    """Tasks whose owner still has a data key (a link row and an unerased owner).

    Only the existence of the link is looked at, never the owner's identity: the dataset
    records nothing of it.
    """
    readable: set[str] = set()
    for chunk in _chunks(task_ids):
        readable.update(session.execute(
            select(ReviewLink.task_id).join(Owner, Owner.id == ReviewLink.owner_id)
            .where(ReviewLink.task_id.in_(chunk), Owner.wrapped_dek.is_not(None), Owner.status == "active")
        ).scalars())
    return readable


@dataclass
class Selection:
    """What a build picked: task → (annotation row) and why the others were skipped."""

    chosen: dict[str, Annotation]
    tasks: dict[str, ReviewTask]
    skipped: Counter


def select_annotations(
    session: Session,
    *,
    min_gold_accuracy: float = MIN_GOLD_ACCURACY,
    min_gold_items: int = MIN_GOLD_ITEMS,
    max_agreement_wer: float = MAX_AGREEMENT_WER,
    languages: Iterable[str] | None = None,
) -> Selection:
    """The tasks a build may contain, each with the annotation it takes its labels from."""
    query = select(ReviewTask).where(ReviewTask.status == "done", ReviewTask.is_gold.is_(False))
    if languages:
        query = query.where(ReviewTask.language.in_(list(languages)))
    tasks = {t.id: t for t in session.execute(query).scalars()}
    ids = sorted(tasks)
    gold = reviewer_gold_accuracy(session)
    agreements = _agreements(session, ids)
    readable = _readable_tasks(session, ids)
    by_task: dict[str, list[Annotation]] = defaultdict(list)
    for chunk in _chunks(ids):
        for ann in session.execute(select(Annotation).where(Annotation.task_id.in_(chunk))).scalars():
            by_task[ann.task_id].append(ann)

    chosen: dict[str, Annotation] = {}
    skipped: Counter = Counter()
    for task_id in ids:
        task, anns = tasks[task_id], by_task.get(task_id, [])
        if task.queue != "general" or any(a.kind in ("sensitive", "escalate") or a.sensitive_category for a in anns):
            skipped["sensitive"] += 1
            continue
        if task_id not in readable:
            skipped["unreadable"] += 1
            continue
        labels = [a for a in anns if a.kind == "label" and a.payload_ct is not None]
        if not labels:
            skipped["no_label"] += 1
            continue
        checked = [a for a in labels if _passes_gold(gold.get(a.reviewer_id), min_gold_accuracy, min_gold_items)]
        if not checked:
            skipped["gold_unchecked"] += 1
            continue
        if max(task.reviews_needed, len(labels)) >= 2:
            if len(checked) < 2:
                skipped["single_of_double"] += 1
                continue
            if not _agreed(checked, agreements.get(task_id), max_agreement_wer):
                skipped["disagreed"] += 1
                continue
        chosen[task_id] = min(checked, key=lambda a: (a.created_at, a.id))
    return Selection(chosen, tasks, skipped)


def _passes_gold(stats: tuple[float, int] | None, min_accuracy: float, min_items: int) -> bool:
    return stats is not None and stats[1] >= min_items and stats[0] >= min_accuracy


def _agreed(labels: list[Annotation], agreement: tuple[str, str, float] | None, max_wer: float) -> bool:
    if len({a.intent for a in labels}) != 1:
        return False
    if agreement is None:
        # Agreement on transcripts is computed by the review pipeline when the second review
        # lands; without it only the intents are known to agree, which is not enough.
        return False
    intent_a, intent_b, wer = agreement
    return intent_a == intent_b and wer <= max_wer


def _next_version(session: Session, name: str) -> int:
    current = session.execute(select(func.max(DatasetVersion.version)).where(DatasetVersion.name == name)).scalar()
    return (current or 0) + 1


def _check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 100 or not all(c.isalnum() or c in "-_." for c in clean):
        raise BadInput(f"dataset name {name!r}: use 1-100 letters, digits, '-', '_' or '.'")
    return clean


def build_dataset(session: Session, name: str, **selection_options) -> DatasetVersion:
    """Build a new version of dataset ``name`` from the reviewed tasks, with its lineage."""
    name = _check_name(name)
    sel = select_annotations(session, **selection_options)
    version = DatasetVersion(
        name=name, version=_next_version(session, name), built_day=utcnow().date().isoformat(), kind="build",
        item_count=len(sel.chosen), lineage_digest=lineage_digest(sel.chosen),
        languages=dict(Counter(sel.tasks[t].language for t in sel.chosen)), skipped=dict(sel.skipped),
    )
    session.add(version)
    session.flush()
    rows = [
        {"version_id": version.id, "task_id": task_id,
         "language": sel.tasks[task_id].language, "intent": ann.intent, "split": split_of(task_id),
         "content_ct": ann.payload_ct, "annotation_id": ann.id, "asr_ct": sel.tasks[task_id].content_ct,
         "audio_blob": sel.tasks[task_id].audio_blob, "removed": False}
        for task_id, ann in sel.chosen.items()
    ]
    _insert_items(session, rows)
    return version


def _insert_items(session: Session, rows: list[dict]) -> None:
    for i in range(0, len(rows), 2000):
        session.execute(insert(DatasetItem), rows[i : i + 2000])


def _alive(session: Session):
    """Task ids still present in the review zone with an unerased owner (a subquery)."""
    return (select(ReviewTask.id).join(ReviewLink, ReviewLink.task_id == ReviewTask.id)
            .join(Owner, Owner.id == ReviewLink.owner_id)
            .where(Owner.wrapped_dek.is_not(None), Owner.status == "active"))


def rebuild(session: Session, stale: DatasetVersion) -> DatasetVersion:
    """A new version with ``stale``'s lineage minus every task removed since.

    One INSERT ... SELECT: the surviving items' ciphertext is copied inside the database,
    nothing is decrypted and nothing passes through Python.
    """
    version = DatasetVersion(name=stale.name, version=_next_version(session, stale.name),
                             built_day=utcnow().date().isoformat(), kind="rebuild", parent_id=stale.id,
                             item_count=0, lineage_digest="", languages={}, skipped={})
    session.add(version)
    session.flush()
    columns = ["task_id", "language", "intent", "split", "content_ct", "annotation_id", "asr_ct", "audio_blob"]
    source = (select(literal(version.id).label("version_id"), *[getattr(DatasetItem, c) for c in columns],
                     literal(False).label("removed"))
              .where(DatasetItem.version_id == stale.id, DatasetItem.removed.is_(False),
                     DatasetItem.task_id.in_(_alive(session))))
    session.execute(insert(DatasetItem).from_select(["version_id", *columns, "removed"], source))
    kept = session.execute(select(DatasetItem.task_id, DatasetItem.language)
                           .where(DatasetItem.version_id == version.id)).all()
    version.item_count = len(kept)
    version.lineage_digest = lineage_digest(t for t, _ in kept)
    version.languages = dict(Counter(lang for _, lang in kept))
    version.skipped = {"removed": stale.item_count - len(kept)}
    stale.rebuilt_as = version.id
    session.flush()
    return version


def versions(session: Session, name: str | None = None) -> list[DatasetVersion]:
    query = select(DatasetVersion).order_by(DatasetVersion.name, DatasetVersion.version)
    if name:
        query = query.where(DatasetVersion.name == name)
    return list(session.execute(query).scalars())


def latest(session: Session, name: str) -> DatasetVersion:
    found = session.execute(
        select(DatasetVersion).where(DatasetVersion.name == name).order_by(DatasetVersion.version.desc()).limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no dataset named {name!r}; build one with `ecoute improve dataset build {name}`")
    return found


def latest_fresh(session: Session, name: str) -> DatasetVersion:
    """The newest version of ``name``, rebuilt first if it went stale (the rebuild is automatic)."""
    version = latest(session, name)
    if version.stale:
        version = rebuild(session, version)
    return version


def require_trainable(version: DatasetVersion) -> DatasetVersion:
    """Refuse a stale version: it holds data whose owner deleted or erased it."""
    if version.stale:
        newer = f" (rebuilt as {version.rebuilt_as[:8]})" if version.rebuilt_as else ""
        raise StaleDataset(
            f"dataset {version.name} v{version.version} is stale: {version.stale_reason or 'data was removed'}"
            f"{newer}; rebuild it (ecoute improve dataset rebuild) before training"
        )
    return version


def load_examples(
    session: Session, vault: Vault, version: DatasetVersion, *, split: str | None = None,
    purpose: str = "training", language: str | None = None,
) -> list[Example]:
    """Decrypt a version's items for training or evaluation (through the audited key broker).

    Refuses a stale version. If a task key turns out to be gone (an erasure whose clean-up
    has not reached this dataset yet), the version is marked stale on the spot and refused.
    """
    require_trainable(version)
    query = select(DatasetItem).where(DatasetItem.version_id == version.id, DatasetItem.removed.is_(False))
    if split:
        query = query.where(DatasetItem.split == split)
    if language:
        query = query.where(DatasetItem.language == language)
    keys = TaskKeys(session, vault, f"learning loop: {purpose} on dataset {version.name} v{version.version}")
    examples, gone = [], []
    for item in session.execute(query).scalars():
        key = keys.get(item.task_id)
        if key is None or item.content_ct is None:
            gone.append(item.task_id)
            continue
        payload = open_annotation(key, item.task_id, item.annotation_id or "", item.content_ct)
        asr = open_content(key, item.task_id, item.asr_ct).get("transcript") if item.asr_ct else None
        examples.append(Example(
            task_id=item.task_id, language=item.language, intent=payload.get("intent") or item.intent,
            transcript=str(payload.get("transcript") or payload.get("text") or ""), asr_transcript=asr,
            slots=dict(payload.get("slots") or {}), split=item.split, audio_blob=item.audio_blob,
        ))
    if gone:
        mark_tasks_removed(session, gone, reason="task key gone")
        require_trainable(version)
    return examples


def rebuild_stale(store, **kwargs) -> dict:
    """Job stage ``ecoute.improve.datasets:rebuild_stale``: rebuild the newest version of every
    dataset that went stale. Safe to run again: a rebuilt version is no longer the newest stale."""
    done = []
    with store.session() as session:
        names = session.execute(select(DatasetVersion.name).distinct()).scalars().all()
        for name in names:
            newest = latest(session, name)
            if newest.stale and newest.rebuilt_as is None:
                fresh = rebuild(session, newest)
                done.append({"name": name, "from": newest.version, "to": fresh.version,
                             "items": fresh.item_count, "removed": fresh.skipped.get("removed", 0)})
    return {"rebuilt": done}
