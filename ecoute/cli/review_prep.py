"""Review preparation commands: ``redact-text`` and ``prepare-review`` (one file or a folder).

Heavy imports (Presidio, spaCy, Whisper) happen inside the commands so ``--help`` stays quick.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ecoute.errors import BadInput


def register(app: typer.Typer) -> None:
    """Add this area's subcommands to the top-level app."""

    @app.command("redact-text")
    def redact_text_cmd(
        text: str = typer.Argument(..., help="A transcript, e.g. 'my card is four five three nine ...'"),
        lang: str = typer.Option("en", "--lang", help="en, fr or de"),
        as_json: bool = typer.Option(False, "--json", help="Print {text, entities} as JSON"),
    ) -> None:
        """Replace personal data in TEXT with <TYPE>; entity offsets point into TEXT."""
        from ecoute.privacy.pii.languages import LANGUAGES

        if lang not in LANGUAGES:  # checked before loading Presidio and spaCy
            raise BadInput(f"language {lang!r} is not supported (choose one of {', '.join(LANGUAGES)})")
        from ecoute.privacy.pii import redact_text

        result = redact_text(text, lang)
        if as_json:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            typer.echo(result.text)

    @app.command("prepare-review")
    def prepare_review_cmd(
        source: Path = typer.Argument(..., help="A WAV/FLAC/... file, or a folder of them"),
        target: Path = typer.Argument(..., help="Output WAV file, or output folder for a folder"),
        lang: str | None = typer.Option(None, "--lang", help="en, fr or de (default: settings.language)"),
        method: str = typer.Option("disguised", "--disguise", help="disguised | revoiced | none"),
        seed: int | None = typer.Option(None, "--seed", help="Seed the per-clip draws (tests, benchmarks)"),
        as_json: bool = typer.Option(False, "--json", help="Print the preparation report as JSON"),
    ) -> None:
        """Transcribe, redact, bleep, disguise, resample and strip metadata: a clip ready for review."""
        from ecoute.config import Settings
        from ecoute.privacy.prepare import prepare_file, prepare_folder

        settings = Settings.load()
        if source.is_dir():
            if target.exists() and not target.is_dir():
                raise BadInput(f"{target}: exists and is not a folder (the input is a folder)")
            summary = prepare_folder(source, target, settings, language=lang, disguise_method=method, seed=seed)
            if as_json:
                typer.echo(json.dumps(summary, ensure_ascii=False))
            else:
                typer.echo(f"prepared {summary['prepared']} clip(s) into {target}; "
                           f"excluded {summary['excluded']}, failed {summary['failed']}")
            if summary["failed"]:
                raise typer.Exit(2)
            return
        report = prepare_file(source, target, settings, language=lang, disguise_method=method, seed=seed)
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False))
        else:
            typer.echo(f"{target}: {report['transcript']}")
