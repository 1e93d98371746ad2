"""Every ``ecoute`` command answers a usage error with its usage and exit code 2, never a traceback,
and every command that works on the data directory takes ``--data-dir``.

The command tree is walked from the Typer app itself, so a command added later is covered
without touching this file. The unknown-option walk runs real ``python -m ecoute.cli``
processes (a thread pool keeps it quick); the other walks call ``ecoute.cli.main`` in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer.main

from ecoute.cli import app, main

Command = typing.Any  # typer's click command objects (typer vendors click; its classes are private)


def _walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*path, name))


TREE = dict(_walk(typer.main.get_command(app)))
LEAVES = {path: cmd for path, cmd in TREE.items() if not hasattr(cmd, "commands")}

#: Commands that never open the data directory, and why; every other command must take --data-dir.
NO_DATA_DIR = {
    ("transcribe",): "reads one audio file and prints its transcript",
    ("device",): "the satellite: it talks to a server over HTTP and has no store",
    ("redact-text",): "works on the text given on the command line",
    ("prepare-review",): "reads one clip (or folder) and writes another",
}


def _name(path: tuple[str, ...]) -> str:
    return " ".join(path) or "ecoute"


def _required(command: Command) -> list[Command]:
    return [p for p in command.params if p.required]


def _numeric_options(command: Command) -> list[str]:
    """The first spelling of each option whose Python type is a number (so 'many' is a bad value)."""
    hints = typing.get_type_hints(command.callback)
    numbers = {int, float, int | None, float | None}
    return [p.opts[0] for p in command.params if p.param_type_name == "option" and hints.get(p.name) in numbers]


def test_the_walk_sees_the_whole_tree() -> None:
    # a guard against a walk that silently finds nothing: these come from several command modules
    for path in [("improve", "dataset", "build"), ("review", "gold", "add"), ("staff", "add"), ("audit", "verify"),
                 ("retention", "sweep"), ("export",), ("ask",), ("serve",), ("redact-text",)]:
        assert path in LEAVES
    assert len(TREE) >= 40


# -- an unknown option, through the real entry point --------------------------------------------


@pytest.fixture(scope="module")
def bogus_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    """``python -m ecoute.cli <command> --bogus`` for every group and command, four at a time."""
    data_dir = tmp_path_factory.mktemp("data")  # should a command run after all, it writes here
    env = {**os.environ, "ECOUTE_DATA_DIR": str(data_dir), "PYTHONPATH": str(Path(__file__).parents[1])}

    def run(path: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ecoute.cli", *path, "--bogus"], env=env,
                              capture_output=True, text=True, timeout=120, check=False)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(TREE, pool.map(run, TREE)))


@pytest.mark.parametrize("path", list(TREE), ids=_name)
def test_an_unknown_option_prints_the_usage_and_exits_2(path, bogus_runs) -> None:
    done = bogus_runs[path]
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == 2, done.stderr
    assert "Usage: " in done.stderr and " ".join((*path, "[OPTIONS]")) in done.stderr
    assert "No such option: --bogus" in done.stderr


# -- a missing argument and a bad value, through ecoute.cli.main in this process ------------------


class Exited(typing.NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    """``ecoute.cli.main`` with these arguments: its exit status, stdout and stderr."""
    monkeypatch.setenv("ECOUTE_DATA_DIR", str(tmp_path / "env-data"))

    def _run(*args: str) -> Exited:
        monkeypatch.setattr(sys, "argv", ["ecoute", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as ex:
            code = ex.code if isinstance(ex.code, int) else (0 if ex.code is None else 1)
        out, err = capsys.readouterr()
        return Exited(code, out, err)

    return _run


@pytest.mark.parametrize("path", [p for p, cmd in LEAVES.items() if _required(cmd)], ids=_name)
def test_a_missing_argument_prints_the_usage_and_exits_2(path, run) -> None:
    done = run(*path)
    assert done.code == 2, done
    assert "Usage: " in done.err and "Missing " in done.err


@pytest.mark.parametrize(
    ("path", "option"),
    [(p, opt) for p, cmd in LEAVES.items() for opt in _numeric_options(cmd)],
    ids=lambda v: _name(v) if isinstance(v, tuple) else v,
)
def test_a_bad_value_prints_the_usage_and_exits_2(path, option, run) -> None:
    done = run(*path, option, "many")
    assert done.code == 2, done
    assert "Usage: " in done.err and f"Invalid value for '{option}'" in done.err


def test_out_of_range_values_are_usage_errors(run) -> None:
    for args, option in [(("improve", "propose", "--min-support", "0"), "--min-support"),
                         (("improve", "tune-wake", "--max-false-reject-increase", "2"), "--max-false-reject-increase")]:
        done = run(*args)
        assert done.code == 2 and f"Invalid value for '{option}'" in done.err, done


def test_help_is_not_an_error(run) -> None:
    done = run("review", "sample", "--help")
    assert done.code == 0 and "--data-dir" in done.out and done.err == ""


def test_a_group_without_a_command_shows_its_help_and_exits_2(run) -> None:
    done = run("review")
    assert done.code == 2
    assert "sample" in done.out + done.err and "Traceback" not in done.err


# -- --data-dir ---------------------------------------------------------------------------------


def _has_data_dir(command: Command) -> bool:
    return any("--data-dir" in p.opts for p in command.params)


def test_every_command_on_the_data_directory_takes_data_dir() -> None:
    assert set(NO_DATA_DIR) <= set(LEAVES), "a command named in NO_DATA_DIR no longer exists"
    missing = [_name(p) for p, cmd in LEAVES.items() if p not in NO_DATA_DIR and not _has_data_dir(cmd)]
    assert missing == []


def test_review_and_staff_work_on_the_data_dir_they_are_given(run, tmp_path: Path, monkeypatch) -> None:
    given, from_env = tmp_path / "given", tmp_path / "env-data"
    monkeypatch.setenv("ECOUTE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ECOUTE_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("ECOUTE_STAFF_PASSWORD", "a long enough password")

    added = run("staff", "add", "--email", "rui@example.org", "--site", "Lisbon", "--country", "PT",
                "--languages", "en", "--data-dir", str(given))
    assert added.code == 0, added
    stats = run("review", "stats", "--json", "--data-dir", str(given))
    assert stats.code == 0, stats
    assert [r["languages"] for r in json.loads(stats.out)["reviewers"]] == ["en"]
    sampled = run("review", "sample", "--all", "--json", "--data-dir", str(given))
    assert sampled.code == 0, sampled
    assert json.loads(sampled.out)["turns"] == 0

    assert (given / "ecoute.db").exists()
    assert not (from_env / "ecoute.db").exists()  # ECOUTE_DATA_DIR was not touched
    # and without --data-dir, ECOUTE_DATA_DIR is used: an empty store there, no reviewers
    default = run("review", "stats", "--json")
    assert default.code == 0 and json.loads(default.out)["reviewers"] == []
    assert (from_env / "ecoute.db").exists()
