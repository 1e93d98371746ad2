"""What skills need from the outside world, as small protocols the platform fills in.

The CLI runs a turn with an in-memory state and no privacy actions; the server plugs
an encrypted, DB-backed state and the real privacy actions. Skills never import the
store: they only see this context, so they stay testable and the zones stay apart.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class SkillState(Protocol):
    """Per-household skill data (timers, alarms, shopping list), one dict per namespace."""

    def get(self, namespace: str) -> dict: ...

    def put(self, namespace: str, value: dict) -> None: ...


class PrivacyActions(Protocol):
    """The owner's voice privacy controls, implemented by the platform."""

    def delete_last_turn(self) -> bool: ...

    def delete_today(self) -> int: ...

    def not_for_me(self) -> bool: ...

    def recording_status(self) -> dict: ...

    def stop_review(self) -> int: ...

    def who_listened(self) -> list[dict]: ...


class MemoryState:
    """State that lives as long as the process (the CLI's ``ask``)."""

    def __init__(self) -> None:
        self._data: dict[str, dict] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str) -> dict:
        with self._lock:
            return json.loads(json.dumps(self._data.get(namespace, {})))

    def put(self, namespace: str, value: dict) -> None:
        with self._lock:
            self._data[namespace] = json.loads(json.dumps(value))


class JsonFileState:
    """State in one JSON file, replaced atomically so a crash never leaves half a file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def get(self, namespace: str) -> dict:
        with self._lock:
            return self._read().get(namespace, {})

    def put(self, namespace: str, value: dict) -> None:
        with self._lock:
            data = self._read()
            data[namespace] = value
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False)
            os.replace(tmp, self.path)


@dataclass
class TurnContext:
    household_id: str = "local"
    owner_id: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC).astimezone())
    state: SkillState = field(default_factory=MemoryState)
    privacy: PrivacyActions | None = None
