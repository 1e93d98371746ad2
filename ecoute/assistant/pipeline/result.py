"""What a voice turn produced: one immutable value, returned by ``run()`` and carried by ``RunEnd``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ecoute.audio.io import Audio
from ecoute.speech.asr import Transcript


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class TurnResult:
    #: The wake word fired (True too when the run started after the wake stage).
    wake: bool
    #: The server's own wake score; None when the run started after the wake stage.
    wake_score: float | None
    false_activation: bool = False
    false_activation_reason: str | None = None
    #: The request's words (the wake word removed), timed against the input audio.
    transcript: Transcript | None = None
    language: str = "en"
    intent: str | None = None
    slots: Mapping[str, Any] = field(default_factory=_empty)
    answer: str | None = None
    handled: bool = False
    confidence: float = 0.0
    answer_audio: Audio | None = None
    #: Milliseconds per stage and "total", computed from the run's events.
    timings_ms: Mapping[str, float] = field(default_factory=_empty)
    device_wake_score: float | None = None
    #: Seconds into the audio where the request's speech ended (end of speech).
    speech_end_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``ecoute ask --json`` contract: these keys, in this order."""
        return {
            "wake": self.wake,
            "wake_score": self.wake_score,
            "false_activation": self.false_activation,
            "false_activation_reason": self.false_activation_reason,
            "transcript": self.transcript.text if self.transcript else None,
            "words": [w.__dict__ for w in self.transcript.words] if self.transcript else [],
            "language": self.language,
            "intent": self.intent,
            "slots": dict(self.slots),
            "answer": self.answer,
            "handled": self.handled,
            "confidence": self.confidence,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
