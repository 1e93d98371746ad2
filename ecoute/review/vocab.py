"""The intent names a reviewer may pick from: those the assistant knows in the task's language.

Read from the assistant's sentence files (plus operator extras) rather than a list kept
here, so a new intent appears on the workstation the day its sentences land. Only the YAML
keys are read (cheap, cached); hassil's grammar is not built for this.
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from ecoute.assistant.intents import sentence_files
from ecoute.errors import BadInput


@lru_cache(maxsize=32)
def intent_names(language: str, extra_dir: str = "") -> tuple[str, ...]:
    try:
        files = sentence_files(language, extra_dir or None)
    except BadInput:
        return ()
    names: set[str] = set()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update((data.get("intents") or {}).keys())
    return tuple(sorted(names))
