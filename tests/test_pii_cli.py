"""`ecoute redact-text` keeps its JSON contract and refuses bad input with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from ecoute.cli import app


def test_redact_text_json_contract() -> None:
    text = "my pin is one two three four"
    res = CliRunner().invoke(app, ["redact-text", text, "--lang", "en", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["text"] == "my pin is <SECRET>"
    (ent,) = out["entities"]
    assert set(ent) == {"type", "start", "end", "score"}
    assert text[ent["start"]:ent["end"]] == "one two three four"


def test_redact_text_bad_language_exits_2_with_message() -> None:
    proc = subprocess.run([sys.executable, "-m", "ecoute.cli", "redact-text", "hello", "--lang", "xx"],
                          check=False, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "not supported" in proc.stderr
    assert proc.stdout == ""
