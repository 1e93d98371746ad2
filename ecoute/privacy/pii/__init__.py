"""Personal data in transcripts: spoken numbers to digits, Presidio with our recognizers, replacement.

``redact_text(text, language)`` is the one entry point the rest of écoute uses. The names
are resolved lazily so that importing a light submodule (``numbers``) does not pay for
Presidio and spaCy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecoute.privacy.pii.redact import Entity, RedactionResult, redact_text

__all__ = ["Entity", "RedactionResult", "redact_text"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        # PEP 562 lazy attribute: the heavy part is Presidio and spaCy, which ``redact`` imports
        return getattr(import_module(f"{__name__}.redact"), name)
    raise AttributeError(name)
