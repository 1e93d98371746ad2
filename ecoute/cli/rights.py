"""Owners' rights from the command line: export, verify-export, erase, retention sweep.

See ecoute/cli/__init__.py for how they are registered. These are operator commands (they act on
the store directly), for requests that arrive outside the web pages — e.g. by post — and
for scheduled jobs; each leaves the same data-subject-request record and audit entries as
the pages do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from ecoute.errors import BadInput, EcouteError, NotFound

DataDir = typer.Option(None, "--data-dir", help="Data directory (default: ECOUTE_DATA_DIR or ~/.local/share/ecoute).")
JsonOut = typer.Option(False, "--json", help="Print the result as JSON.")



class VerificationFailed(EcouteError):
    """The archive does not match its signed index (exit 1: the check ran and failed)."""

    exit_code = 1


retention_app = typer.Typer(help="Retention: auto-delete and the platform maximum.", no_args_is_help=True)


def _store(data_dir: Path | None):
    from ecoute.config import Settings
    from ecoute.store.store import Store

    return Store.open(Settings.load(data_dir=data_dir))


def _owner_id(store, email: str) -> str:
    from ecoute.store.accounts import find_owner_by_email

    with store.session() as session:
        owner = find_owner_by_email(session, store.keys, email)
        owner_id = owner.id if owner is not None else None
    if owner_id is None:
        raise NotFound(f"no owner with the email {email!r}")
    return owner_id


def export_cmd(owner_email: str = typer.Argument(..., help="The owner's login email."),
               out: Path = typer.Argument(..., help="Where to write the archive (.zip)."),
               data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Export everything about an owner to a signed zip (written atomically, with progress)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ecoute.privacy.export import export_owner
    from ecoute.store.vault import Actor

    if out.suffix.lower() != ".zip":
        raise BadInput("the archive name must end in .zip")
    if out.exists():
        raise BadInput(f"{out} exists already; choose another name")
    if not out.parent.exists():
        raise BadInput(f"the folder {out.parent} does not exist")
    store = _store(data_dir)
    try:
        owner_id = _owner_id(store, owner_email)
        with Progress(TextColumn("exporting recordings"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=as_json, disable=as_json) as bar:
            task = bar.add_task("export", total=None)
            receipt = export_owner(store, owner_id, out, actor=Actor("cli", "officer"),
                                   progress=lambda done, total: bar.update(task, completed=done, total=total))
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(receipt, indent=1, sort_keys=True))
    else:
        counts = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in receipt["counts"].items())
        typer.echo(f"wrote {out} ({receipt['size']:,} bytes, sha256 {receipt['sha256']})\n{counts}")


def verify_export_cmd(file: Path = typer.Argument(..., help="An archive made by `ecoute export` or the page."),
                      public_key: str = typer.Option(None, "--public-key",
                                                     help="The server's signing key (hex); default: this "
                                                          "server's own, if its data directory is here."),
                      data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Check the archive's signature and every file's hash; exit 1 if anything is wrong."""
    from ecoute.config import Settings
    from ecoute.privacy.export import public_key_hex, verify_export

    if not file.is_file():
        raise BadInput(f"{file}: no such file")
    if public_key is not None:
        try:
            if len(bytes.fromhex(public_key)) != 32:
                raise ValueError
        except ValueError:
            raise BadInput("--public-key must be 64 hex digits (an Ed25519 public key)") from None
    else:
        settings = Settings.load(data_dir=data_dir)
        if (settings.store.data_dir / "keys" / "export-signing.key").exists():
            public_key = public_key_hex(settings)
    report = verify_export(file, public_key)
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "files_checked": report.files_checked, "problems": report.problems,
                               "public_key": report.public_key, "trusted_key": report.trusted_key}, indent=1))
    elif report.ok:
        trust = "by this server's key" if report.trusted_key else \
            f"by the key named in the archive ({report.public_key[:16]}…; pass --public-key to check whose)"
        typer.echo(f"archive intact: {report.files_checked} files match the index, signed {trust}")
    if not report.ok:
        # an EcouteError, not typer.Exit: cli.main runs click with standalone_mode=False,
        # where a typer.Exit code is returned and lost instead of becoming the exit status
        raise VerificationFailed("archive NOT valid:\n  " + "\n  ".join(report.problems))


def erase_cmd(owner_email: str = typer.Argument(..., help="The owner's login email."),
              yes: bool = typer.Option(False, "--yes", help="Confirm: this cannot be undone."),
              data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Erase an account: its data key is destroyed first, then everything is removed; prints the receipt."""
    from ecoute.privacy.erasure import request_erasure, run_erasure
    from ecoute.store.vault import Actor

    if not yes:
        raise BadInput("erasure cannot be undone: add --yes to confirm")
    store = _store(data_dir)
    try:
        owner_id = _owner_id(store, owner_email)
        request_id = request_erasure(store, owner_id, actor=Actor("cli", "officer"))
        typer.echo(f"data key destroyed (request {request_id}); removing rows and files…", err=True)
        receipt = run_erasure(store, request_id)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(receipt, indent=1, sort_keys=True))
    else:
        deleted = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in receipt["deleted"].items()) or "nothing stored"
        typer.echo(f"erased. key destroyed {receipt['key_destroyed_at']}, completed {receipt['completed_at']}\n"
                   f"deleted: {deleted}")


@retention_app.command("sweep")
def retention_sweep(now: str = typer.Option(None, "--now", help="Pretend it is this ISO time (UTC)."),
                    data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Delete every recording past its owner's auto-delete or the platform maximum (idempotent)."""
    from ecoute.privacy.retention import sweep

    at = None
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            raise BadInput(f"--now: not an ISO date/time: {now!r}") from None
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
    store = _store(data_dir)
    try:
        report = sweep(store, now=at)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(report, sort_keys=True))
    else:
        typer.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in report.items()))


def register(app: typer.Typer) -> None:
    """Add this area's subcommands to the top-level app."""
    app.command("export")(export_cmd)
    app.command("verify-export")(verify_export_cmd)
    app.command("erase")(erase_cmd)
    app.add_typer(retention_app, name="retention")
