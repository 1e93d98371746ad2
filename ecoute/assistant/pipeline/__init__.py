"""The voice pipeline: stages and typed events (events.py), one immutable result (result.py)
and ``run()`` (runner.py, which loads the engines; import it from there).

This package's top level stays light on purpose: a satellite that only reports its
local stages imports the events without the assistant's engines and intents.
"""

from ecoute.assistant.pipeline.events import (
    ORDER,
    Error,
    Event,
    EventCallback,
    RunEnd,
    RunStart,
    Stage,
    StageEnd,
    StageStart,
    stage_range,
    timings_ms,
)

__all__ = [
    "ORDER", "Error", "Event", "EventCallback", "RunEnd", "RunStart", "Stage", "StageEnd", "StageStart",
    "stage_range", "timings_ms",
]
