"""écoute: a voice assistant whose improvement loop is private by construction."""

__version__ = "0.1.0"
