"""A device's turn, from upload to stored recording: all or nothing.

Order matters for crash safety (invariant 7 of the architecture):

1. the upload is checked (size, decodable audio, length) before anything is written;
2. the voice turn runs inside the transaction that will store it, so what the turn's
   skills change (shopping list, deletions asked by voice) commits together with it;
3. the encrypted audio blob is written, then the rows are flushed, then the transaction
   commits; if anything fails before the commit the blob is removed again;
4. a process killed between 3's blob write and the commit leaves a blob that no row
   references: :func:`remove_orphan_blobs` runs when the server starts and removes it.

So after any crash there is either a complete turn (row + blob) or none, and a turn that
was answered has been committed first.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from sqlalchemy import select

from ecoute.assistant.context import TurnContext
from ecoute.assistant.pipeline.runner import RunOptions, run
from ecoute.audio.io import Audio, load_audio, wav_bytes
from ecoute.config import Settings
from ecoute.errors import BadInput, EcouteError
from ecoute.improve.vocabulary import load as load_vocabulary
from ecoute.services.privacy_actions import PrivacyActions
from ecoute.services.skill_state import DbSkillState
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.owner import Device, Owner, Turn
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, record_false_activation, save_turn

log = logging.getLogger(__name__)

#: Privacy commands whose own recording is not kept: asking to forget must not leave a new trace.
NOT_KEPT_INTENTS = frozenset({"EcouteDeleteLastTurn", "EcouteDeleteToday", "EcouteNotForMe"})

_AUDIO_BLOB = re.compile(r"^owners/([0-9a-f]+)/audio/([0-9a-f]+)$")


class Conflict(EcouteError):
    """The request is well formed but the device cannot submit turns now (muted, no owner)."""

    exit_code = 2


class UploadTooLarge(BadInput):
    """The upload is over ``settings.max_upload_bytes`` (HTTP 413)."""


class AnswerAudioCache:
    """Answer audio kept in memory for a few minutes, only for the device that asked.

    The spoken answer is derived owner content; keeping it on disk would add one more copy
    to delete. The device fetches it right after the answer, so memory is enough.
    """

    def __init__(self, ttl_s: float = 300.0, max_items: int = 256):
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[float, str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, device_id: str, wav: bytes) -> str:
        answer_id = secrets.token_hex(12)
        with self._lock:
            self._items[answer_id] = (time.monotonic() + self.ttl_s, device_id, wav)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return answer_id

    def get(self, device_id: str, answer_id: str) -> bytes | None:
        with self._lock:
            item = self._items.get(answer_id)
            if item is None or item[0] < time.monotonic() or item[1] != device_id:
                return None
            return item[2]


def _hotwords(session, settings: Settings) -> str | None:
    """Domain vocabulary the learning loop built from reviews (None until it has built one)."""
    vocabulary = load_vocabulary(session, settings, settings.speech.language)
    return vocabulary.hotwords if vocabulary else None


def check_upload(data: bytes, settings: Settings) -> Audio:
    """Refuse oversized or undecodable uploads before anything is stored."""
    if len(data) > settings.server.max_upload_bytes:
        raise UploadTooLarge(f"upload of {len(data)} bytes is larger than the limit of {settings.server.max_upload_bytes}")
    return load_audio(data, max_seconds=settings.speech.max_audio_seconds)


def _words(transcript: Any) -> list[dict]:
    out = []
    for w in getattr(transcript, "words", None) or []:
        out.append(asdict(w) if is_dataclass(w) else dict(w))
    return out


def _answer_wav(answer_audio: Any) -> bytes | None:
    if answer_audio is None:
        return None
    if isinstance(answer_audio, (bytes, bytearray)):
        return bytes(answer_audio)
    return wav_bytes(answer_audio)


@dataclass
class IngestResult:
    turn_id: str | None
    transcript: str
    intent: str | None
    answer: str
    answer_id: str | None
    false_activation: bool

    def to_json(self, answer_url: str | None) -> dict:
        return {"turn_id": self.turn_id, "transcript": self.transcript, "intent": self.intent,
                "answer": self.answer, "answer_audio_url": answer_url, "false_activation": self.false_activation}


def ingest_turn(store: Store, *, device_id: str, upload: bytes, wake_score: float | None,
                answers: AnswerAudioCache | None = None, jobs=None) -> IngestResult:
    """Run and store one device turn; see the module docstring for the crash-safety order."""
    settings = store.settings
    audio = check_upload(upload, settings)

    written: list[str] = []
    try:
        with store.vault_session() as (session, vault):
            device = session.get(Device, device_id)
            if device is None:
                raise Conflict("this device no longer exists")
            if device.muted:
                raise Conflict("this device is muted: it must not send audio")
            owner = session.get(Owner, device.selected_owner_id) if device.selected_owner_id else None
            if owner is None or owner.status != "active" or owner.household_id != device.household_id:
                raise Conflict("no owner is selected on this device; choose one on the privacy page")
            now = utcnow()
            context = TurnContext(
                household_id=device.household_id, owner_id=owner.id, now=now,
                state=DbSkillState(session, vault, owner.id),
                privacy=PrivacyActions(session, vault, owner_id=owner.id, device_id=device.id, now=now),
            )
            # device_fired: the device already fired; the server still starts at the wake stage to
            # re-score the wake word itself, and a turn that fails its stricter check (or whose wake
            # word the server does not find) comes back as a false activation.
            options = RunOptions(device_fired=True, device_wake_score=wake_score,
                                 min_wake_score=device.wake_threshold, hotwords=_hotwords(session, settings))
            result = run(audio, settings, options=options, context=context)
            transcript = getattr(result.transcript, "text", "") if result.transcript is not None else ""
            turn_id: str | None = None
            # Written after the voice turn, not before: on PostgreSQL an early UPDATE would hold
            # the device's row lock for the whole turn and serialise every other request on it.
            device.last_seen_at = utcnow()
            if result.false_activation:
                turn_id = record_false_activation(session, owner_id=owner.id, device_id=device.id,
                                                  wake_score=result.wake_score, at=now).id
            elif result.intent not in NOT_KEPT_INTENTS:
                content = TurnContent(transcript, result.answer or "", result.intent, dict(result.slots or {}),
                                      _words(result.transcript))
                turn = save_turn(session, vault, owner_id=owner.id, device_id=device.id,
                                 audio_wav=wav_bytes(audio), content=content,
                                 language=result.language or owner.language, duration_s=audio.duration,
                                 handled=bool(result.handled), confidence=float(result.confidence or 0.0),
                                 wake_score=wake_score if wake_score is not None else result.wake_score,
                                 created_at=now)
                written.append(turn.audio_blob)
                turn_id = turn.id
                if settings.server.ingest_pause_s:
                    time.sleep(settings.server.ingest_pause_s)  # test-only: a window to kill the process in
        # committed: the turn is stored for good from here on
    except BaseException:
        for key in written:
            store.blobs.delete(key)
        raise

    answer_id = None
    if not result.false_activation:
        wav = _answer_wav(getattr(result, "answer_audio", None))
        if wav is not None and answers is not None:
            answer_id = answers.put(device_id, wav)
        if turn_id is not None and jobs is not None:
            jobs.enqueue("sample_turn", turn_id=turn_id)
    return IngestResult(turn_id, "" if result.false_activation else transcript,
                        None if result.false_activation else result.intent,
                        "" if result.false_activation else (result.answer or ""), answer_id,
                        bool(result.false_activation))


def remove_orphan_blobs(store: Store) -> int:
    """Remove turn audio blobs that no turn row references (left by a crash before commit).

    Run when the server starts, before it accepts turns. With several server instances on
    one database, run it from one of them only (an instance mid-ingest has such a blob).
    """
    candidates = [key for key in store.blobs.keys("owners/") if _AUDIO_BLOB.match(key)]
    removed = 0
    with store.session() as session:
        for i in range(0, len(candidates), 500):  # IN lists well under SQLite's parameter limit
            chunk = candidates[i : i + 500]
            referenced = set(session.execute(select(Turn.audio_blob).where(Turn.audio_blob.in_(chunk))).scalars())
            for key in chunk:
                if key not in referenced:
                    store.blobs.delete(key)
                    removed += 1
    if removed:
        log.warning("removed %d audio blob(s) that no stored turn referenced (an interrupted ingest)", removed)
    return removed
