"""Speech subcommands: ``transcribe``, ``ask`` (one full turn) and ``device`` (the satellite).

Their JSON output is a contract other tools rely on (see README, "The voice turn").
Models load inside the commands so ``ecoute --help`` stays quick.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ecoute.errors import BadInput


def _settings(**overrides):
    from ecoute.config import Settings

    return Settings.load(**overrides)


def _print_json(data: dict) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


def transcribe(
    file: Path = typer.Argument(..., help="WAV/FLAC/OGG/MP3, any rate and channel count"),
    as_json: bool = typer.Option(False, "--json", help="print {text, language, words, duration, engine}"),
    language: str | None = typer.Option(None, "--language", "-l", help="en, fr, de or auto (default from settings)"),
    engine: str | None = typer.Option(None, "--engine", help="faster-whisper or pocketsphinx"),
) -> None:
    """Transcribe an audio file (offline)."""
    from ecoute.audio.io import load_audio
    from ecoute.speech.asr import get_asr

    settings = _settings(asr_engine=engine)
    audio = load_audio(file, max_seconds=settings.speech.max_audio_seconds)
    lang = language or settings.speech.language
    result = get_asr(settings, lang).transcribe(audio, None if lang == "auto" else lang)
    if as_json:
        _print_json(result.to_json())
    else:
        typer.echo(result.text)


def ask(
    file: Path = typer.Argument(..., help="a recording of the wake word followed by a request"),
    as_json: bool = typer.Option(False, "--json", help="print the turn as JSON"),
    say: Path | None = typer.Option(None, "--say", help="write the spoken answer to this WAV file"),
    language: str | None = typer.Option(None, "--language", "-l", help="en, fr, de or auto"),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="data directory whose learnt templates apply (default: ECOUTE_DATA_DIR)"
    ),
) -> None:
    """Run one full assistant turn on a recording: wake word, request, intent, answer."""
    from ecoute.assistant.pipeline import Stage
    from ecoute.assistant.pipeline.runner import RunOptions, run
    from ecoute.audio.io import load_audio, write_wav

    settings = _settings(data_dir=data_dir)
    if say is not None and say.is_dir():
        raise BadInput(f"{say}: is a directory, expected a .wav path")
    audio = load_audio(file, max_seconds=settings.speech.max_audio_seconds)
    # Spoken only when asked: without --say the run ends with the answer's text.
    result = run(audio, settings, end=Stage.TTS if say is not None else Stage.SKILL,
                 options=RunOptions(language=language))
    if say is not None and result.answer_audio is not None:
        tmp = say.with_name(f".{say.name}.part")
        write_wav(tmp, result.answer_audio)
        tmp.replace(say)  # never a half-written answer file
    if as_json:
        _print_json(result.to_json())
    elif not result.wake:
        typer.echo("(no wake word: nothing processed)")
    elif result.false_activation:
        typer.echo(f"(false activation: {result.false_activation_reason}; discarded)")
    else:
        typer.echo(result.answer)


def device(
    file: Path | None = typer.Option(None, "--file", help="read audio from this recording"),
    stdin: bool = typer.Option(False, "--stdin", help="read raw 16 kHz 16-bit mono PCM from stdin"),
    mic: bool = typer.Option(False, "--mic", help="read the default microphone (sounddevice)"),
    server: str | None = typer.Option(None, "--server", help="server URL (default ECOUTE_SERVER_URL)"),
    token: str | None = typer.Option(None, "--token", help="device token (default ECOUTE_DEVICE_TOKEN)"),
    mute: bool = typer.Option(False, "--mute", help="muted: capture nothing at all"),
    realtime: bool = typer.Option(False, "--realtime", help="pace a --file like a live microphone"),
) -> None:
    """Run the satellite: detect the wake word locally, then send the request to the server."""
    from ecoute.device.client import run_device
    from ecoute.device.sources import SOURCES

    settings = _settings()
    chosen = [name for name, on in (("file", file is not None), ("stdin", stdin), ("mic", mic)) if on]
    if len(chosen) != 1:
        raise BadInput("choose exactly one audio source: --file PATH, --stdin or --mic")
    if mute or settings.device.device_muted:
        # Checked before any source is opened: a muted device captures nothing at all.
        _print_json({"muted": True, "captured_bytes": 0})
        return
    server = server or settings.device.server_url
    token = token or settings.device.device_token.get_secret_value()
    if not server or not token:
        raise BadInput("the device needs --server URL and --token (or ECOUTE_SERVER_URL / ECOUTE_DEVICE_TOKEN)")
    source = chosen[0]
    kwargs = {"file": {"path": file, "max_seconds": None, "realtime": realtime}, "stdin": {}, "mic": {}}[source]
    chunks = SOURCES[source](**kwargs)
    for answer in run_device(chunks, settings, server=server, token=token):
        _print_json(answer)


def register(app: typer.Typer) -> None:
    """Add this area's subcommands to the top-level app."""
    app.command()(transcribe)
    app.command()(ask)
    # the satellite; the operator's device admin is the separate group `ecoute devices`
    app.command()(device)
