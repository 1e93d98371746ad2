"""Review tasks: from a sampled turn to a pseudonymous task in the review zone.

A task holds only what a reviewer needs: prepared audio (bleeped, disguised), the redacted
transcript, the language, the intent the assistant chose and coarse context ("evening,
weekday"), all sealed with a fresh per-task key. The task id is fresh and random. The
only link back to the recording (``review_links``) lives in the owner zone: the turn id
and the task key, both sealed with the owner's data key. Erasing the owner therefore makes
the task unreadable at once; :mod:`ecoute.review.purge` removes the rows later.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ecoute.audio.io import Audio, load_audio, wav_bytes
from ecoute.config import Settings
from ecoute.errors import EcouteError
from ecoute.privacy import pii
from ecoute.privacy.prepare import prepare_clip
from ecoute.privacy.sensitive import SensitiveDecision
from ecoute.review.consent import is_opted_in
from ecoute.review.errors import NoSuchTask, TaskGone
from ecoute.store import crypto, reviewrefs
from ecoute.store.blobs import BlobStore
from ecoute.store.keys import KeyProvider
from ecoute.store.locks import lock_owner, lock_turns
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.enums import SampleStatus, TaskQueue, TaskStatus
from ecoute.store.schema.owner import ReviewLink, Turn
from ecoute.store.schema.review import ReviewTask
from ecoute.store.schema.review_qc import GoldTaskKey, ReviewSample
from ecoute.store.store import Store
from ecoute.store.taskseal import open_for_task, seal_for_task
from ecoute.store.turns import read_turn, read_turn_audio
from ecoute.store.vault import Actor, KeyDestroyed, Vault

PREPARATION_ACTOR = Actor.system("review-preparation")

#: Test hooks: called with a point name ("before-lock", "checked") inside preparation's
#: write transaction, so tests can force an opt-out or a deletion into each interleaving.
#: Empty (a no-op) in production.
PREPARATION_PAUSES: list[Callable[[str], None]] = []


def _pause(point: str) -> None:
    for hook in list(PREPARATION_PAUSES):
        hook(point)


class Prepared(Protocol):
    """What review preparation hands over (``ecoute.privacy.prepare.PreparedClip``)."""

    audio: Audio
    transcript: str
    entities: list[Any]
    disguise: dict
    sensitive: Any  # .decision: a SensitiveDecision, .categories


@dataclass
class StoredWord:
    word: str
    start: float
    end: float


@dataclass
class StoredTranscript:
    """The turn's own transcript, handed to preparation so it need not run ASR again."""

    text: str
    language: str
    words: list[StoredWord] = field(default_factory=list)


# -- coarse context --------------------------------------------------------------------


def coarse_context(at: datetime) -> str:
    """Part of day and weekday/weekend: useful to a reviewer, useless to locate a moment."""
    hour = at.hour
    part = "night" if hour < 6 else "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    return f"{part}, {'weekend' if at.weekday() >= 5 else 'weekday'}"


def iso_week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


# -- task blobs (sealed with the task key: ecoute.store.taskseal) -------------------------


def audio_blob_key(task_id: str) -> str:
    return f"review/tasks/{task_id}/audio"


_WRITTEN = "ecoute.review.blobs_written"


def _put_blob_undone_on_rollback(session: Session, blobs: BlobStore, key: str, data: bytes) -> None:
    """Write a blob now; remove it again if the transaction that references it rolls back.

    Once the transaction commits the blob is the task's and the list is forgotten, so a
    later rollback of the same session never touches it.
    """
    written: list[tuple[BlobStore, str]] | None = session.info.get(_WRITTEN)
    if written is None:
        written = session.info[_WRITTEN] = []

        def _committed(sess: Session) -> None:
            sess.info.pop(_WRITTEN, None)

        def _rolled_back(sess: Session, *_: object) -> None:
            for store, blob_key in sess.info.pop(_WRITTEN, []):
                store.delete(blob_key)

        event.listen(session, "after_commit", _committed, once=True)
        event.listen(session, "after_soft_rollback", _rolled_back, once=True)
    blobs.put(key, data)
    written.append((blobs, key))


def task_key(session: Session, vault: Vault, task: ReviewTask, *, actor: Actor, purpose: str) -> bytes:
    """The key of one task. For a real task this is the key broker: the unwrap with the
    owner's DEK is audited by the vault (who, role, site, language team, purpose, day).

    Raises :class:`KeyDestroyed` when the owner was erased and :class:`TaskGone` when the
    link is missing (the recording was deleted).
    """
    found = _gold_key_or_link(session, task)
    if isinstance(found, bytes):
        return found
    owner_id = link_owner(vault.keys, found)
    return vault.unwrap_task_key(owner_id, task.id, found.wrapped_task_key, actor=actor, purpose=purpose)


def task_key_to_seal(session: Session, vault: Vault, task: ReviewTask) -> bytes:
    """The task key for *sealing* what a reviewer or lead writes (escalation reason, lead
    note). Nothing of the owner is read, and the act itself has its own audit entry in the
    same transaction, so this unwrap is not logged as a decrypt."""
    found = _gold_key_or_link(session, task)
    if isinstance(found, bytes):
        return found
    return vault.open_reference(link_owner(vault.keys, found), task.id, "task-key", found.wrapped_task_key)


def _gold_key_or_link(session: Session, task: ReviewTask) -> bytes | ReviewLink:
    """A gold task's own key, or a real task's owner-zone link; :class:`TaskGone` if neither is left."""
    if task.is_gold:
        gold = session.get(GoldTaskKey, task.id)
        if gold is None:
            raise TaskGone("this gold task has no key any more")
        return gold.task_key
    link = session.get(ReviewLink, task.id)
    if link is None:
        raise TaskGone("the recording behind this task was deleted")
    return link


# -- owner and turn references (keyed tags and sealed ids: ecoute.store.reviewrefs) -----


def link_owner(keys: KeyProvider, link: ReviewLink) -> str:
    """The owner behind a link: only with the key provider, never from SQL alone."""
    return reviewrefs.open_ref(keys, "review_links", "owner", link.owner_ref_ct)


def sample_owner(keys: KeyProvider, sample: ReviewSample) -> str:
    return reviewrefs.open_ref(keys, "review_samples", "owner", sample.owner_ref_ct)


def sample_turn(keys: KeyProvider, sample: ReviewSample) -> str | None:
    if sample.turn_ref_ct is None:
        return None
    return reviewrefs.open_ref(keys, "review_samples", "turn", sample.turn_ref_ct)


def new_link(vault: Vault, *, task_id: str, owner_id: str, turn_id: str, wrapped_task_key: bytes) -> ReviewLink:
    """The owner-zone link of a new task: no owner id or turn id in any column."""
    return ReviewLink(
        task_id=task_id,
        owner_tag=reviewrefs.owner_tag(vault.keys, owner_id),
        owner_ref_ct=reviewrefs.seal_ref(vault.keys, "review_links", "owner", owner_id),
        owner_active=True,
        turn_ref_ct=vault.seal(owner_id, task_id, "turn-ref", turn_id.encode()),
        turn_tag=vault.item_tag(owner_id, turn_id),
        wrapped_task_key=wrapped_task_key,
    )


def new_sample(keys: KeyProvider, *, owner_id: str, turn_id: str, **fields: Any) -> ReviewSample:
    return ReviewSample(
        owner_tag=reviewrefs.owner_tag(keys, owner_id),
        owner_ref_ct=reviewrefs.seal_ref(keys, "review_samples", "owner", owner_id),
        turn_tag=reviewrefs.turn_tag(keys, turn_id),
        turn_ref_ct=reviewrefs.seal_ref(keys, "review_samples", "turn", turn_id),
        **fields,
    )


def still_consented(session: Session, vault: Vault, task: ReviewTask) -> bool:
    """Re-check, when a task is handed out or heard, that it may still be: the owner is still
    opted in (adult, active, latest decision a grant) and the recording still exists."""
    if task.is_gold:
        return True
    link = session.get(ReviewLink, task.id)
    if link is None or not link.owner_active:
        return False
    owner_id = link_owner(vault.keys, link)
    if not is_opted_in(session, owner_id):
        return False
    try:
        turn_id = vault.open_reference(owner_id, task.id, "turn-ref", link.turn_ref_ct).decode()
    except crypto.DecryptionError:  # KeyDestroyed included: the owner was erased
        return False
    return session.get(Turn, turn_id) is not None


def read_content(key: bytes, task: ReviewTask) -> dict:
    if task.content_ct is None:
        raise TaskGone("this task's content was destroyed")
    return json.loads(open_for_task(key, task.id, "content", task.content_ct))


def read_audio(session: Session, blobs: BlobStore, key: bytes, task: ReviewTask) -> bytes:
    if not task.audio_blob:
        raise TaskGone("this task's audio was destroyed")
    try:
        return open_for_task(key, task.id, "audio", blobs.get(task.audio_blob))
    except KeyError:
        raise TaskGone("this task's audio is missing") from None


# -- creating tasks --------------------------------------------------------------------


_TOKEN = re.compile(r"<[A-Z_]+>|\w+|[^\w\s]")


def _tokens(text: str) -> list[str]:
    return [t if t.startswith("<") and t.endswith(">") else t.lower() for t in _TOKEN.findall(text)]


def _is_token_run(needle: list[str], haystack: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def safe_slots(slots: dict, redacted_transcript: str, language: str = "en") -> dict:
    """Slot values a reviewer may see: whole tokens of the redacted text, and no PII in them.

    A substring is not enough ("Ann" is in "announcement" after "Ann" was redacted), and a
    value that is all tokens of the text may still be personal data the redaction of the
    whole sentence missed, so the PII analyzer looks at it on its own too.
    """
    text = _tokens(redacted_transcript)
    out = {}
    for name, value in (slots or {}).items():
        shown = str(value)
        safe = _is_token_run(_tokens(shown), text) and not pii.redact_text(shown, language).entities
        out[str(name)] = shown if safe else "<redacted>"
    return out


def create_task(
    session: Session,
    vault: Vault,
    settings: Settings,
    *,
    owner_id: str,
    turn_id: str,
    turn_created_at: datetime,
    intent: str | None,
    slots: dict | None,
    language: str,
    prepared: Prepared,
    double_review: bool = False,
) -> ReviewTask | None:
    """Seal a prepared clip as a new task; ``None`` when the sensitive screen excludes it."""
    decision = getattr(prepared.sensitive, "decision", SensitiveDecision.ALLOW)
    if decision == SensitiveDecision.EXCLUDE:
        return None
    task_id = new_id()
    key, wrapped = vault.new_task_key(owner_id, task_id)
    content = {
        "transcript": prepared.transcript,
        "slots": safe_slots(slots or {}, prepared.transcript, language),
        "entities": sorted({getattr(e, "type", str(e)) for e in prepared.entities}),
    }
    blob = audio_blob_key(task_id)
    _put_blob_undone_on_rollback(
        session, vault.blobs, blob, seal_for_task(key, task_id, "audio", wav_bytes(prepared.audio))
    )
    task = ReviewTask(
        id=task_id,
        language=language,
        task_type="transcript",
        queue=TaskQueue.LEAD if decision == SensitiveDecision.LEAD_ONLY else TaskQueue.GENERAL,
        status=TaskStatus.PENDING,
        intent=intent,
        context=coarse_context(turn_created_at),
        audio_blob=blob,
        content_ct=seal_for_task(key, task_id, "content", json.dumps(content).encode()),
        # only the method: the per-clip parameters would help undo the disguise
        disguise={"method": str(prepared.disguise.get("method", "disguised"))} if prepared.disguise else {},
        is_gold=False,
        reviews_needed=2 if double_review else 1,
        created_week=iso_week(turn_created_at),
    )
    session.add(task)
    session.add(new_link(vault, task_id=task_id, owner_id=owner_id, turn_id=turn_id, wrapped_task_key=wrapped))
    session.flush()
    return task


def create_gold_task(
    session: Session,
    blobs: BlobStore,
    *,
    audio: Audio,
    language: str,
    transcript: str,
    intent: str | None,
    draft: str | None = None,
    slots: dict | None = None,
    context: str = "",
) -> ReviewTask:
    """A gold task: synthetic content written by a lead, with the known answer kept aside.

    Reviewers cannot tell gold from real tasks; ``draft`` is the transcript they are shown
    (e.g. with a deliberate error), ``transcript``/``intent`` the answer they should give.
    """
    task_id = new_id()
    key = crypto.new_key()
    blob = audio_blob_key(task_id)
    _put_blob_undone_on_rollback(session, blobs, blob, seal_for_task(key, task_id, "audio", wav_bytes(audio)))
    content = {"transcript": draft if draft is not None else transcript, "slots": slots or {}, "entities": []}
    now = utcnow()
    task = ReviewTask(
        id=task_id,
        language=language,
        queue=TaskQueue.GENERAL,
        status=TaskStatus.PENDING,
        intent=intent,
        context=context or coarse_context(now),
        audio_blob=blob,
        content_ct=seal_for_task(key, task_id, "content", json.dumps(content).encode()),
        disguise={},
        is_gold=True,
        gold_answer={"transcript": transcript, "intent": intent},
        reviews_needed=1,
        created_week=iso_week(now),
    )
    session.add(task)
    session.flush()
    session.add(GoldTaskKey(task_id=task_id, task_key=key))
    session.flush()
    return task


# -- the preparation step of the background stage --------------------------------------


def _default_prepare(audio: Audio, settings: Settings, **kwargs: Any) -> Prepared:
    return prepare_clip(audio, settings, **kwargs)


def prepare_sample(store: Store, sample_id: int, *, rng=None, prepare=None) -> dict:
    """Turn one sampled turn into a task (or an exclusion). Resumable and idempotent.

    Three short transactions: read (audited as ``system:review-preparation``), then the slow
    preparation outside any transaction, then the write. The write transaction takes the
    owner's consent lock and the turn's row lock (:mod:`ecoute.store.locks`; on SQLite it
    also begins ``BEGIN IMMEDIATE``) *before* it re-checks consent and the turn, and keeps
    them until the task is committed. Opt-out, erasure and deletion take the same locks, so
    whichever commits first, no task exists after an opt-out or a deletion has committed.
    """
    prepare = prepare or _default_prepare
    with store.vault_session() as (session, vault):
        sample = session.get(ReviewSample, sample_id)
        if sample is None or sample.status != SampleStatus.PREPARING:
            return {"status": sample.status if sample else SampleStatus.GONE}
        sample_turn_id = sample_turn(vault.keys, sample)
        turn = session.get(Turn, sample_turn_id) if sample_turn_id else None
        if turn is None or turn.audio_blob is None:
            sample.status = SampleStatus.GONE
            return {"status": SampleStatus.GONE}
        if not is_opted_in(session, sample_owner(vault.keys, sample)):
            sample.status = SampleStatus.CANCELLED
            return {"status": SampleStatus.CANCELLED}
        try:
            raw = read_turn_audio(vault, turn, actor=PREPARATION_ACTOR, purpose="review preparation")
            content = read_turn(vault, turn, actor=PREPARATION_ACTOR, purpose="review preparation")
        except (KeyDestroyed, KeyError):
            sample.status = SampleStatus.GONE
            return {"status": SampleStatus.GONE}
        owner_id, turn_id, language, created_at = turn.owner_id, turn.id, turn.language, turn.created_at
    words = [
        StoredWord(str(w.get("word", "")), float(w.get("start", 0.0)), float(w.get("end", 0.0)))
        for w in content.words
        if isinstance(w, dict)
    ]
    try:
        audio = load_audio(raw)
        prepared = prepare(
            audio,
            store.settings,
            language=language,
            transcript=StoredTranscript(content.transcript, language, words),
            rng=rng,
        )
    except EcouteError as err:  # unusable audio: record it, never retry forever, never make a task
        with store.session() as session:
            sample = session.get(ReviewSample, sample_id)
            if sample is not None and sample.status == SampleStatus.PREPARING:
                sample.status = SampleStatus.FAILED
        return {"status": SampleStatus.FAILED, "reason": str(err)}
    with store.vault_session(immediate=True) as (session, vault):
        _pause("before-lock")
        lock_owner(session, owner_id)
        turn_alive = bool(lock_turns(session, [turn_id]))
        sample = session.get(ReviewSample, sample_id, populate_existing=True)
        if sample is None or sample.status != SampleStatus.PREPARING or not is_opted_in(session, owner_id) or not turn_alive:
            if sample is not None and sample.status == SampleStatus.PREPARING:
                sample.status = SampleStatus.CANCELLED
            return {"status": SampleStatus.CANCELLED}
        _pause("checked")
        double = random.SystemRandom().random() < store.settings.policy.review_double_fraction
        task = create_task(
            session,
            vault,
            store.settings,
            owner_id=owner_id,
            turn_id=turn_id,
            turn_created_at=created_at,
            intent=content.intent,
            slots=content.slots,
            language=language,
            prepared=prepared,
            double_review=double,
        )
        sample.status = SampleStatus.TASK if task else SampleStatus.EXCLUDED
        return {"status": sample.status, "task_id": task.id if task else None}


def prepare_pending(store: Store) -> list[int]:
    """Samples whose preparation has not finished (crash, restart): resume them."""
    with store.session() as session:
        return list(
            session.execute(
                select(ReviewSample.id).where(ReviewSample.status == SampleStatus.PREPARING).order_by(ReviewSample.id)
            ).scalars()
        )


def get_task(session: Session, task_id: str) -> ReviewTask:
    if not re.fullmatch(r"[0-9a-f]{24}", task_id or ""):
        raise NoSuchTask("no such task")
    task = session.get(ReviewTask, task_id)
    if task is None:
        raise NoSuchTask("no such task")
    return task
