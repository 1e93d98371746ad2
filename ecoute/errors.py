"""Errors that reach a user: each carries a message meant for people and an exit code for the CLI."""

from __future__ import annotations


class EcouteError(Exception):
    """Base of every error a user may see; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class BadInput(EcouteError):
    """The input cannot be used as given (unreadable, empty, too long, wrong type)."""

    exit_code = 2


class AudioError(BadInput):
    """Audio that cannot be decoded, is empty, or is longer than the configured limit."""


class NotFound(EcouteError):
    exit_code = 3


class Forbidden(EcouteError):
    exit_code = 4
