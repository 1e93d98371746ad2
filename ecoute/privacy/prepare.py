"""Review preparation: turn an owner's clip into something a reviewer may hear and read.

Order matters and is fixed here: transcribe (word timestamps) → find personal data in the
words' text → replace it in the text and bleep its words in the audio → screen for
sensitive content → disguise the voice over the whole clip → resample → write with no
metadata. Bleeping happens *before* disguise so no disguise setting can undo it, and the
output is written to a temporary file and renamed, so a crash never leaves half a clip.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecoute.audio.io import Audio, load_audio, resample, write_wav
from ecoute.config import Settings
from ecoute.errors import BadInput, EcouteError
from ecoute.privacy import pii
from ecoute.privacy.bleep import bleep, entity_times, suspect_spans, timing_unreliable, words_to_text
from ecoute.privacy.disguise import disguise_voice
from ecoute.privacy.sensitive import ScreenResult, screen
from ecoute.speech.asr import get_asr

if TYPE_CHECKING:
    from ecoute.privacy.pii import Entity

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus")


@dataclass
class _Word:
    word: str
    start: float
    end: float


@dataclass
class _RedactedTranscript:
    """What re-voicing reads: the redacted text and words, entity words replaced by <TYPE>."""

    text: str
    words: list[_Word] = field(default_factory=list)


@dataclass
class PreparedClip:
    audio: Audio
    transcript: str
    entities: list[Entity]
    bleeped: list[list[float]]
    disguise: dict
    sensitive: ScreenResult
    language: str

    def report(self) -> dict[str, Any]:
        """The JSON the CLI prints: nothing in it is an unredacted value."""
        return {
            "transcript": self.transcript,
            "language": self.language,
            "entities": [e.to_json() for e in self.entities],
            "bleeped": self.bleeped,
            "disguise": self.disguise,
            "sensitive": self.sensitive.to_json(),
        }


def prepare_clip(
    audio: Audio,
    settings: Settings,
    *,
    language: str | None = None,
    transcript: Any | None = None,
    disguise_method: str = "disguised",
    rng: np.random.Generator | None = None,
) -> PreparedClip:
    """Prepare one clip for human review (see the module docstring for the steps)."""
    if audio.samples.size == 0:
        raise BadInput("cannot prepare an empty clip")
    lang = language or (getattr(transcript, "language", None) if transcript is not None else None) \
        or settings.speech.language
    if transcript is None:
        transcript = get_asr(settings, lang).transcribe(audio, None if lang == "auto" else lang)
    if lang == "auto":
        lang = transcript.language
    words = list(transcript.words)
    wt = words_to_text(words) if words else None
    text = wt.text if wt else transcript.text
    redaction = pii.redact_text(text, lang)  # Presidio and spaCy load on first use
    entities, redacted_text = redaction.entities, redaction.text
    if wt:
        # what the text step missed but the audio must not let through (garbled codes, unsure words)
        # (an ASR looping on audio it cannot read: no timing to trust, so all of it is masked)
        loop = timing_unreliable(words)
        extra = suspect_spans(words, wt, [(e.start, e.end) for e in entities], lang, everything=loop)
        if extra:
            entities = sorted([*entities, *(pii.Entity(t, s, e, 0.5) for s, e, t in extra)], key=lambda e: e.start)
            redacted_text = _replace(text, entities)
        spans = entity_times(words, wt.spans, [(e.start, e.end) for e in entities], margin=settings.policy.bleep_margin_s,
                             margin_after=settings.policy.bleep_margin_after_s, duration=audio.duration, to_edges=True)
        if loop:
            spans = [[0.0, round(audio.duration, 3)]]
    else:  # personal data but no timing to find it by: mask the whole clip rather than guess
        spans = [[0.0, round(audio.duration, 3)]] if entities else []
    masked = bleep(audio, spans, settings.policy.bleep_mode)
    verdict = screen(text, lang, redaction.entities, policy=settings.policy.sensitive_policy)
    redacted_words = _redacted_words(words, wt.spans if wt else [], entities)
    rng = rng if rng is not None else np.random.default_rng()
    disguised, info = disguise_voice(masked, disguise_method, rng,
                                     transcript=_RedactedTranscript(redacted_text, redacted_words),
                                     language=lang, settings=settings)
    out_rate = settings.policy.review_audio_rate
    final = Audio(resample(disguised.samples, disguised.rate, out_rate), out_rate)
    return PreparedClip(final, redacted_text, entities, spans, info, verdict, lang)


def _replace(text: str, entities: list[Entity]) -> str:
    """``text`` with each (non-overlapping, sorted) entity replaced by ``<TYPE>``."""
    out, pos = [], 0
    for e in entities:
        out += [text[pos:e.start], f"<{e.type}>"]
        pos = e.end
    return "".join([*out, text[pos:]])


def _redacted_words(words: list[Any], spans: list[tuple[int, int]], entities: list[Entity]) -> list[_Word]:
    out = []
    for w, (ws, we) in zip(words, spans):
        hit = next((e for e in entities if ws < e.end and we > e.start), None)
        out.append(_Word(f"<{hit.type}>" if hit else w.word.strip(), float(w.start), float(w.end)))
    return out


def write_clip_atomic(path: Path, audio: Audio) -> None:
    """Write a metadata-free 16-bit WAV next to ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".prep-", suffix=".wav", dir=path.parent)
    os.close(fd)
    try:
        write_wav(tmp, audio)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare_file(source: Path, target: Path, settings: Settings, *, language: str | None = None,
                 disguise_method: str = "disguised", seed: int | None = None,
                 rng: np.random.Generator | None = None) -> dict[str, Any]:
    """Prepare ``source`` into ``target``; an excluded clip is not written (the report says so)."""
    if target.exists() and target.is_dir():
        raise BadInput(f"{target}: is a folder; give an output file name")
    if Path(source).resolve() == Path(target).resolve():
        raise BadInput("the output must not overwrite the input")
    audio = load_audio(source, max_seconds=settings.speech.max_audio_seconds)
    if rng is None:
        rng = np.random.default_rng(seed)
    clip = prepare_clip(audio, settings, language=language, disguise_method=disguise_method, rng=rng)
    report = clip.report()
    report["written"] = clip.sensitive.decision != "exclude"
    if report["written"]:
        write_clip_atomic(Path(target), clip.audio)
    return report


def prepare_folder(source: Path, target: Path, settings: Settings, *, language: str | None = None,
                   disguise_method: str = "disguised", seed: int | None = None) -> dict[str, Any]:
    """Prepare every audio file in ``source`` into ``target`` with a progress bar.

    One bad file does not stop the batch: it is reported (stderr and the manifest) and
    counted. The manifest maps output names to reports and is itself written atomically.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    files = sorted(p for p in Path(source).iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise BadInput(f"{source}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    manifest: dict[str, Any] = {}
    counts = {"prepared": 0, "excluded": 0, "failed": 0}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("preparing clips", total=len(files))
        for src in files:
            out = target / f"{src.stem}.wav"
            try:
                report = prepare_file(src, out, settings, language=language,
                                      disguise_method=disguise_method, rng=rng)
                counts["prepared" if report["written"] else "excluded"] += 1
                manifest[out.name] = report
            except EcouteError as err:
                counts["failed"] += 1
                manifest[out.name] = {"error": str(err)}
                print(f"error: {err}", file=sys.stderr)
            progress.advance(task)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".json", dir=target)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, target / "manifest.json")
    return {**counts, "manifest": str(target / "manifest.json")}
