"""Review zone: datasets built from reviewed tasks (owned by the learning loop, issue 7)."""

from __future__ import annotations
