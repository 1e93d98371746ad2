"""The command-line contracts of transcribe, ask and device, and their refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ecoute.audio import synth
from ecoute.audio.io import load_audio, write_wav
from ecoute.cli import main

SLT = synth.VOICES["en"][5]


def run_cli(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    """Run ``ecoute`` in this process (models stay loaded between tests)."""
    monkeypatch.setattr(sys, "argv", ["ecoute", *args])
    code = 0
    try:
        main()
    except SystemExit as ex:
        code = int(ex.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    out = {"turn": d / "turn.wav", "plain": d / "plain.wav", "truncated": d / "truncated.wav",
           "empty": d / "empty.wav", "text": d / "notes.wav", "long": d / "long.wav", "mp3ish": d / "turn.ogg"}
    turn = synth.wake_and_request("what is twelve times seven", SLT)
    write_wav(out["turn"], turn)
    sf.write(out["mp3ish"], np.stack([turn.samples] * 2, axis=1), 16000, format="OGG")
    write_wav(out["plain"], synth.concat([0.4, load_audio(synth.speak("set a timer for five minutes", SLT)), 0.4]))
    out["truncated"].write_bytes(out["turn"].read_bytes()[:30])
    out["empty"].write_bytes(b"")
    out["text"].write_text("this is not audio at all\n" * 20)
    sf.write(out["long"], np.zeros(16000 * 600, dtype=np.float32), 16000, subtype="PCM_16")
    return out


def test_transcribe_json_contract(files, capsys, monkeypatch) -> None:
    code, out, _ = run_cli(["transcribe", str(files["plain"]), "--json"], capsys, monkeypatch)
    assert code == 0
    body = json.loads(out)
    assert set(body) == {"text", "language", "words", "duration", "engine"}
    assert "timer" in body["text"].lower() and body["language"] == "en"
    assert all(set(w) == {"word", "start", "end"} for w in body["words"])


def test_transcribe_reads_stereo_ogg(files, capsys, monkeypatch) -> None:
    code, out, _ = run_cli(["transcribe", str(files["mp3ish"])], capsys, monkeypatch)
    assert code == 0 and "12" in out


@pytest.mark.parametrize("name, message", [
    ("truncated", "not a readable audio file"), ("empty", "file is empty"), ("text", "not a readable audio file"),
    ("long", "longer than the limit"), ("missing", "no such file"),
])
@pytest.mark.parametrize("command", ["transcribe", "ask"])
def test_bad_input_exits_2_with_a_message(files, capsys, monkeypatch, name, message, command) -> None:
    path = files.get(name, Path("/nonexistent/x.wav"))
    code, out, err = run_cli([command, str(path), "--json"], capsys, monkeypatch)
    assert code == 2 and out == ""
    assert message in err and err.startswith("error:")


def test_ask_json_contract_and_spoken_answer(files, capsys, monkeypatch, tmp_path) -> None:
    answer_wav = tmp_path / "answer.wav"
    code, out, _ = run_cli(["ask", str(files["turn"]), "--json", "--say", str(answer_wav)], capsys, monkeypatch)
    assert code == 0
    body = json.loads(out)
    assert {"wake", "wake_score", "transcript", "language", "intent", "slots", "answer", "timings_ms"} <= set(body)
    assert body["wake"] is True and body["intent"] == "EcouteArithmetic" and body["answer"] == "12 times 7 is 84."
    assert load_audio(answer_wav).duration > 0.5
    assert not list(tmp_path.glob(".*part"))


def test_ask_without_wake_word(files, capsys, monkeypatch, tmp_path) -> None:
    answer_wav = tmp_path / "answer.wav"
    code, out, _ = run_cli(["ask", str(files["plain"]), "--json", "--say", str(answer_wav)], capsys, monkeypatch)
    body = json.loads(out)
    assert code == 0 and body["wake"] is False and body["transcript"] is None and body["answer"] is None
    assert not answer_wav.exists()


def test_device_listen_muted_captures_nothing(capsys, monkeypatch) -> None:
    # The file does not even exist: a muted device never opens its source.
    code, out, _ = run_cli(["device", "--file", "/nonexistent/mic.wav", "--mute"], capsys, monkeypatch)
    assert code == 0 and json.loads(out) == {"muted": True, "captured_bytes": 0}


def test_device_listen_needs_one_source_and_a_server(files, capsys, monkeypatch) -> None:
    code, _, err = run_cli(["device", "--stdin", "--file", str(files["turn"])], capsys, monkeypatch)
    assert code == 2 and "exactly one audio source" in err
    monkeypatch.delenv("ECOUTE_SERVER_URL", raising=False)
    code, _, err = run_cli(["device", "--file", str(files["turn"])], capsys, monkeypatch)
    assert code == 2 and "--server" in err


def test_installed_entry_point_runs_ask(files) -> None:
    exe = Path(sys.executable).with_name("ecoute")
    proc = subprocess.run([str(exe), "ask", str(files["turn"])], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "12 times 7 is 84."
