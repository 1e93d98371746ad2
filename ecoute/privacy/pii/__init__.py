"""Personal data in transcripts: spoken numbers to digits, Presidio with our recognizers, replacement.

``redact_text(text, language)`` is the one entry point the rest of écoute uses.
"""

from __future__ import annotations

from ecoute.privacy.pii.redact import Entity, RedactionResult, redact_text

__all__ = ["Entity", "RedactionResult", "redact_text"]
