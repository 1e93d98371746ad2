"""Personal data in transcripts: spoken numbers to digits, Presidio with our recognizers, replacement.

``redact_text(text, language)`` is the one entry point the rest of écoute uses. The names
are resolved lazily so that importing a light submodule (``numbers``) does not pay for
Presidio and spaCy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecoute.privacy.pii.redact import Entity, RedactionResult, redact_text

__all__ = ["Entity", "RedactionResult", "redact_text"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ecoute.privacy.pii import redact

        return getattr(redact, name)
    raise AttributeError(name)
