"""The voice pipeline's stages and the small, typed events a run emits.

Modelled on Home Assistant's assist pipeline (run-start, stage start/end, run-end,
error) and the ``wyoming`` library's tiny events: plain frozen dataclasses, so a
listener (the CLI, a benchmark, later a streaming device) can follow a run without
knowing how the stages are implemented. Every event carries a monotonic timestamp in
nanoseconds (:func:`time.perf_counter_ns`); a turn's ``timings_ms`` are computed from
these events and nothing else (:func:`timings_ms`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecoute.assistant.pipeline.result import TurnResult


class Stage(StrEnum):
    """The stages of a turn, in the order they run (also the privacy order: see run.py)."""

    WAKE = "wake"
    VAD = "vad"
    ASR = "asr"
    VERIFY = "verify"
    INTENT = "intent"
    SKILL = "skill"
    TTS = "tts"


ORDER: tuple[Stage, ...] = tuple(Stage)


def stage_range(start: Stage, end: Stage) -> tuple[Stage, ...]:
    """The stages from ``start`` to ``end``, both included."""
    return ORDER[ORDER.index(start) : ORDER.index(end) + 1]

def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


def now_ns() -> int:
    """The clock of every event: monotonic, nanoseconds."""
    return time.perf_counter_ns()


@dataclass(frozen=True, slots=True)
class RunStart:
    start: Stage
    end: Stage
    t_ns: int


@dataclass(frozen=True, slots=True)
class StageStart:
    stage: Stage
    t_ns: int


@dataclass(frozen=True, slots=True)
class StageEnd:
    stage: Stage
    t_ns: int
    #: What the stage found (scores, text, intent...), read-only.
    data: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class RunEnd:
    """The last event of a run that finished (answered, discarded or not woken)."""

    result: TurnResult
    t_ns: int


@dataclass(frozen=True, slots=True)
class Error:
    """A stage raised: the run stops and the exception propagates to the caller."""

    stage: Stage
    code: str
    message: str
    t_ns: int


Event = RunStart | StageStart | StageEnd | RunEnd | Error
EventCallback = Callable[[Event], None]

#: ``timings_ms`` keys are the stage names, except the second-stage check: it was always
#: timed together with intent recognition, so its time is reported under "intent".
_TIMING_KEY: Mapping[Stage, Stage] = MappingProxyType({Stage.VERIFY: Stage.INTENT})


def timings_ms(events: Iterable[Event], end_ns: int) -> dict[str, float]:
    """Milliseconds per stage (StageStart → StageEnd) plus ``total`` (RunStart → ``end_ns``).

    Keys are those of ``ecoute ask --json`` since before the pipeline: one per stage that
    ran and ended (verify folded into "intent" when intent ran, else only in "total").
    """
    begun: dict[Stage, int] = {}
    ms: dict[Stage, float] = {}
    run_start: int | None = None
    for event in events:
        if isinstance(event, RunStart):
            run_start = event.t_ns
        elif isinstance(event, StageStart):
            begun[event.stage] = event.t_ns
        elif isinstance(event, StageEnd):
            ms[event.stage] = (event.t_ns - begun[event.stage]) / 1e6
    out: dict[str, float] = {}
    for stage in ORDER:
        if stage not in ms:
            continue
        key = _TIMING_KEY.get(stage, stage)
        if key in ms:
            out[key.value] = out.get(key.value, 0.0) + ms[stage]
    if run_start is not None:
        out["total"] = (end_ns - run_start) / 1e6
    return out
