"""Subcommands of this area; see ecoute/cli.py for how they are registered."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's subcommands to the top-level app."""
