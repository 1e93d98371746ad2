"""Measuring the assistant: ASR WER per language, intent accuracy, slot F1, unhandled rate,
false activations per device-hour — stored per ASR model and sentence-file version.

Each run is one row of ``eval_runs`` (per language), keyed by what was measured: the ASR
model and its options, and a digest of every sentence file the assistant loads. Plotting
the rows in order gives the trend on the improvement page.

An evaluation reads dataset items through :func:`ecoute.improve.datasets.load_examples`
(the audited key broker), on the held-out ``test`` split by default, and never on a
stale version: the newest version is rebuilt first if it went stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoute.audio.io import load_audio
from ecoute.config import Settings
from ecoute.improve import metrics
from ecoute.improve.datasets import Example, latest_fresh, load_examples
from ecoute.improve.proposals import recognize, sentences_version
from ecoute.improve.taskcrypt import TaskKeys, open_audio
from ecoute.speech.asr import get_asr
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.datasets import EvalRun
from ecoute.store.schema.owner import Device, FalseActivationCount
from ecoute.store.vault import Vault


@dataclass
class Case:
    """One request to score: what was said (reference), what the assistant heard, the labels."""

    language: str
    reference: str
    intent: str | None
    slots: dict = field(default_factory=dict)
    #: What the ASR produced; None when only text is evaluated (then the reference is heard).
    heard: str | None = None
    #: 16 kHz audio for a fresh transcription (numpy samples via ecoute.audio.io.Audio).
    audio: object | None = None


@dataclass
class Scores:
    n: int
    wer: float | None
    intent_accuracy: float
    slot_f1: float
    unhandled_rate: float
    predictions: list[str | None] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"n": self.n, "wer": self.wer, "intent_accuracy": self.intent_accuracy,
                "slot_f1": self.slot_f1, "unhandled_rate": self.unhandled_rate}


Recognizer = Callable[[str, str], tuple[str | None, dict]]


def assistant_recognizer(settings: Settings) -> Recognizer:
    """The assistant's own recogniser (shipped + extra sentence files), as (intent, slots)."""

    def run(text: str, language: str) -> tuple[str | None, dict]:
        match = recognize(settings, text, language)
        return (match.intent, dict(match.slots)) if match is not None else (None, {})

    return run


def score(cases: Sequence[Case], recognizer: Recognizer, *, transcribe: Callable[[Case], str] | None = None) -> Scores:
    """Score ``cases``. With ``transcribe`` each case is transcribed afresh (WER of that ASR);
    otherwise the recorded ASR text is used when there is one (WER of the deployed ASR)."""
    heard: list[str | None] = []
    for case in cases:
        heard.append(transcribe(case) if transcribe is not None else case.heard)
    with_asr = [(c.reference, h) for c, h in zip(cases, heard) if h is not None]
    wer = metrics.wer([r for r, _ in with_asr], [h for _, h in with_asr]) if with_asr else None
    predicted = [recognizer(h if h is not None else c.reference, c.language) for c, h in zip(cases, heard)]
    intents = [p[0] for p in predicted]
    return Scores(
        n=len(cases), wer=wer,
        intent_accuracy=metrics.intent_accuracy([c.intent for c in cases], intents),
        slot_f1=metrics.slot_score([c.slots for c in cases], [p[1] for p in predicted]).f1,
        unhandled_rate=metrics.unhandled_rate(intents), predictions=intents,
    )


def cases_from_examples(examples: Iterable[Example]) -> list[Case]:
    return [Case(e.language, e.transcript, e.intent, e.slots, heard=e.asr_transcript) for e in examples]


def false_accepts_per_device_hour(session: Session, *, days: int = 30) -> float | None:
    """Discarded activations (the per-device, per-day counters) over the device-hours of the window.

    A device listens from when it was paired; hours are counted from then (or the window's
    start) to now. None when no device was listening.
    """
    now = utcnow()
    start = now - timedelta(days=days)
    hours = 0.0
    for created in session.execute(select(Device.created_at)).scalars():
        hours += max(0.0, (now - max(created, start)).total_seconds() / 3600)
    if hours <= 0:
        return None
    count = session.execute(select(func.coalesce(func.sum(FalseActivationCount.count), 0))
                            .where(FalseActivationCount.day >= start.date().isoformat())).scalar_one()
    return metrics.false_accepts_per_hour(int(count), hours)


def asr_version(settings: Settings, language: str, *, vocabulary: str | None = None) -> str:
    model = settings.speech.asr_model_en if language == "en" else settings.speech.asr_model_multilingual
    version = f"{settings.speech.asr_engine}:{model}:beam{settings.speech.asr_beam_size}"
    return f"{version}+vocab:{vocabulary}" if vocabulary else version


def record(session: Session, settings: Settings, *, language: str, scores: Scores, label: str,
           dataset_label: str, dataset_version_id: str | None = None, asr: str | None = None,
           fa_per_hour: float | None = None, details: dict | None = None) -> EvalRun:
    seq = (session.execute(select(func.max(EvalRun.seq))).scalar() or 0) + 1
    run = EvalRun(seq=seq, day=utcnow().date().isoformat(), dataset_version_id=dataset_version_id,
                  dataset_label=dataset_label, language=language,
                  asr_version=asr or (asr_version(settings, language) if scores.wer is not None else "text-only"),
                  sentences_version=sentences_version(settings, language), label=label, n=scores.n,
                  wer=scores.wer, intent_accuracy=scores.intent_accuracy, slot_f1=scores.slot_f1,
                  unhandled_rate=scores.unhandled_rate, false_accepts_per_device_hour=fa_per_hour,
                  details=details or {})
    session.add(run)
    session.flush()
    return run


def audio_transcriber(session: Session, vault: Vault, settings: Settings, *, hotwords: str | None = None,
                      initial_prompt: str | None = None) -> Callable[[Case], str]:
    """Transcribe a case's audio with the configured ASR (and the vocabulary, when given)."""
    def run(case: Case) -> str:
        if case.audio is None:
            return case.heard or ""
        engine = get_asr(settings, case.language)
        return engine.transcribe(case.audio, language=case.language, hotwords=hotwords,
                                 initial_prompt=initial_prompt).text

    return run


def _with_audio(session: Session, vault: Vault, examples: list[Example], cases: list[Case]) -> None:
    """Decrypt each item's prepared clip (task key, audited) so it can be transcribed afresh."""
    keys = TaskKeys(session, vault, "learning loop: ASR evaluation")
    for example, case in zip(examples, cases):
        key = keys.get(example.task_id)
        if key is None or not example.audio_blob:
            continue
        try:
            wav = open_audio(key, example.task_id, vault.blobs.get(example.audio_blob))
        except KeyError:
            continue
        case.audio = load_audio(wav)


def evaluate_dataset(session: Session, vault: Vault, settings: Settings, name: str, *, label: str = "",
                     split: str | None = "test", transcribe_audio: bool = False) -> list[EvalRun]:
    """Evaluate the assistant on the newest fresh version of dataset ``name``; one run per language."""
    version = latest_fresh(session, name)
    examples = load_examples(session, vault, version, split=split, purpose="evaluation")
    if not examples and split:
        examples = load_examples(session, vault, version, purpose="evaluation")  # tiny sets: use all
    fa = false_accepts_per_device_hour(session)
    recognizer = assistant_recognizer(settings)
    runs = []
    for language in sorted({e.language for e in examples}):
        subset = [e for e in examples if e.language == language]
        cases = cases_from_examples(subset)
        transcribe = None
        if transcribe_audio:
            _with_audio(session, vault, subset, cases)
            transcribe = audio_transcriber(session, vault, settings)
        scores = score(cases, recognizer, transcribe=transcribe)
        runs.append(record(session, settings, language=language, scores=scores, label=label,
                           dataset_label=f"{version.name} v{version.version}", dataset_version_id=version.id,
                           asr=asr_version(settings, language) if transcribe_audio else "recorded",
                           fa_per_hour=fa, details={"split": split or "all"}))
    return runs


def history(session: Session, language: str | None = None) -> list[EvalRun]:
    query = select(EvalRun).order_by(EvalRun.seq)
    if language:
        query = query.where(EvalRun.language == language)
    return list(session.execute(query).scalars())
