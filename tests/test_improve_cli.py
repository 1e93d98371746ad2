"""The 'ecoute improve' commands: real store, exit codes for bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ecoute.cli import app, main


def _exit_code(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the real entry point (the one that maps errors to exit codes) in-process."""
    monkeypatch.setattr("sys.argv", ["ecoute", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    return ended.value.code, capsys.readouterr().err


def test_bad_input_exits_2_with_a_message(tmp_path, monkeypatch, capsys):
    data = ["--data-dir", str(tmp_path)]
    code, err = _exit_code(monkeypatch, capsys, "improve", "dataset", "build", "../etc", *data)
    assert code == 2 and "dataset name" in err
    code, err = _exit_code(monkeypatch, capsys, "improve", "eval", "--split", "everything", *data)
    assert code == 2 and "--split" in err
    code, err = _exit_code(monkeypatch, capsys, "improve", "demo-month", "--days", "0", *data)
    assert code == 2 and "--days" in err
    code, err = _exit_code(monkeypatch, capsys, "improve", "eval", "--dataset", "nothing-here", *data)
    assert code == 3 and "no dataset named" in err


def test_demo_month_build_list_and_eval(tmp_path):
    runner = CliRunner()
    data = str(tmp_path / "data")
    out = runner.invoke(app, ["improve", "demo-month", "--days", "4", "--json", "--data-dir", data])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    # days x people (8 households of 3: k distinct owners must be possible) x requests per person per day
    assert result["people"] == 24 and result["turns"] == 4 * 24 * 2 and result["reviewed"] > 0
    assert result["deletion"]["datasets_marked"] == 1 and result["deletion"]["rebuilt"][0]["removed"] == 1
    for lang in ("en", "fr", "de"):
        before, after = result["intents"]["before"][lang], result["intents"]["after"][lang]
        assert after["intent_accuracy"] >= before["intent_accuracy"]
        assert after["unhandled_rate"] <= before["unhandled_rate"]
    listed = json.loads(runner.invoke(app, ["improve", "dataset", "list", "--json", "--data-dir", data]).output)
    assert [(v["version"], v["stale"]) for v in listed] == [(1, True), (2, False)]
    evals = runner.invoke(app, ["improve", "eval", "--dataset", "household-month", "--split", "all", "--json",
                                "--data-dir", data])
    assert evals.exit_code == 0, evals.output
    rows = json.loads(evals.output)
    assert {r["language"] for r in rows} <= {"en", "fr", "de"} and rows
    assert all(0.0 <= r["intent_accuracy"] <= 1.0 and r["dataset"] == "household-month v2" for r in rows)
    assert all(r["wer"] == 0.0 for r in rows)  # the scripted household is heard exactly as it speaks
