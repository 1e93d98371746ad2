"""The rights commands as an operator runs them: real processes, exit codes, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_rights_support import make_owner, make_turn, owner_status

from ecoute.store.store import Store


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _env(settings) -> dict:
    return {"ECOUTE_DATA_DIR": str(settings.store.data_dir), "ECOUTE_ARGON2_TIME_COST": "1",
            "ECOUTE_ARGON2_MEMORY_KIB": "1024"}


def _process(settings, *args: str) -> Result:
    """A real ``ecoute`` process (slow to start: used once, to prove the entry point)."""
    done = subprocess.run([sys.executable, "-m", "ecoute.cli", *args], env={**os.environ, **_env(settings)},
                          capture_output=True, text=True, timeout=120, check=False)
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def run(monkeypatch, capsys):
    """``ecoute.cli.main`` in this process, with its exit status, stdout and stderr."""
    from ecoute.cli import main

    def _run(settings, *args: str) -> Result:
        for key, value in _env(settings).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "argv", ["ecoute", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as ex:
            code = ex.code if isinstance(ex.code, int) else (0 if ex.code is None else 1)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


def test_export_verify_erase_and_sweep_from_the_command_line(sqlite_store: Store, tmp_path: Path, run):
    store = sqlite_store
    ana = make_owner(store, "Ana", email="ana@example.org")
    for n in range(3):
        make_turn(store, ana, n)
    out = tmp_path / "ana.zip"

    done = _process(store.settings, "export", "ANA@example.org", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["recordings"] == 3

    checked = run(store.settings, "verify-export", str(out))
    assert checked.returncode == 0 and "signed by this server's key" in checked.stdout

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data + b" " if item.filename == "consents.json" else data)
    bad = run(store.settings, "verify-export", str(tampered))
    assert bad.returncode == 1 and "consents.json: content does not match" in bad.stderr

    assert run(store.settings, "export", "ana@example.org", str(out)).returncode == 2  # exists already
    missing = run(store.settings, "export", "nobody@example.org", str(tmp_path / "n.zip"))
    assert missing.returncode == 3 and "no owner" in missing.stderr
    assert run(store.settings, "verify-export", str(tmp_path / "nope.zip")).returncode == 2
    assert run(store.settings, "verify-export", str(out), "--public-key", "xyz").returncode == 2

    refused = run(store.settings, "erase", "ana@example.org")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert owner_status(store, ana) == "active"
    erased = run(store.settings, "erase", "ana@example.org", "--yes", "--json")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["deleted"]["turns"] == 3
    assert owner_status(store, ana) == "erased"

    swept = run(store.settings, "retention", "sweep", "--json", "--now", "2030-01-01T00:00:00")
    assert swept.returncode == 0 and json.loads(swept.stdout)["turns"] == 0
    assert run(store.settings, "retention", "sweep", "--now", "yesterday").returncode == 2
