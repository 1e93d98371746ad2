"""Languages the PII step supports (kept apart so callers can check without loading Presidio)."""

LANGUAGES = ("en", "fr", "de")
