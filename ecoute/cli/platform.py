"""Subcommands of the platform: serve, demo, audit verify, and household/owner/device admin.

See ecoute/cli/__init__.py for how they are registered. Heavy imports happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ecoute.errors import BadInput

DataDir = typer.Option(None, "--data-dir", help="Data directory (default: ECOUTE_DATA_DIR or ~/.local/share/ecoute).")


def _settings(data_dir: Path | None, **more):
    from ecoute.config import Settings

    return Settings.load(data_dir=data_dir, **more)


def _store(data_dir: Path | None):
    from ecoute.store.store import Store

    return Store.open(_settings(data_dir))


def serve(data_dir: Path | None = DataDir,
          port: int = typer.Option(None, "--port", help="TCP port on 127.0.0.1 (default 8750)."),
          host: str = typer.Option(None, "--host", help="Interface to bind (default 127.0.0.1).")) -> None:
    """Start the HTTP API and the web pages with the embedded store (created on first start)."""
    import uvicorn

    from ecoute.server.app import create_app
    from ecoute.store.store import Store

    settings = _settings(data_dir, port=port, host=host)
    store = Store.open(settings)
    typer.echo(f"écoute serving on http://{settings.server.host}:{settings.server.port}/ (data in {settings.store.data_dir})")
    uvicorn.run(create_app(settings, store), host=settings.server.host, port=settings.server.port, log_level="warning")


def _demo_month(store, settings, console) -> None:
    """The learning loop in the demo: a consented household's month, scripted reviews, one round."""
    from rich.progress import Progress
    from rich.table import Table

    from ecoute.improve.demo_month import simulate_month

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("a simulated month of review", total=30)
        result = simulate_month(store, settings, days=30, seed=0,
                                progress=lambda done, total: bar.update(task, completed=done))
    table = Table("language", "intent accuracy before → after", "unhandled before → after",
                  title=f"one improvement round: {result['reviewed']} reviewed clips, "
                        f"{result['accepted']} templates accepted")
    before, after = result["intents"]["before"], result["intents"]["after"]
    for lang in sorted(before):
        b, a = before[lang], after[lang]
        table.add_row(lang, f"{b['intent_accuracy']:.2f} → {a['intent_accuracy']:.2f}",
                      f"{b['unhandled_rate']:.2f} → {a['unhandled_rate']:.2f}")
    console.print(table)


def demo(data_dir: Path | None = DataDir,
         port: int = typer.Option(None, "--port", help="TCP port on 127.0.0.1 (default 8750)."),
         keep_serving: bool = typer.Option(False, "--serve", help="Keep serving the pages after the demo."),
         month: bool = typer.Option(True, "--month/--no-month",
                                    help="Then simulate a month of review and one improvement round.")) -> None:
    """Run a household through the whole loop, then print the privacy page's URL and logins.

    Two owners and a speaker; synthesised turns over HTTP; then a simulated month of
    review and one improvement round (before / after)."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ecoute.cli import demo as d
    from ecoute.store.store import Store

    settings = _settings(data_dir or (_settings(None).store.data_dir / "demo"), port=port)
    console = Console()
    console.print(f"data directory: {settings.store.data_dir}")
    store = Store.open(settings)
    owner_ids = d.ensure_household(store)
    app, server, thread = d.start_server(settings, store)
    base = f"http://{settings.server.host}:{settings.server.port}"
    try:
        with Progress(TextColumn("[bold]turns"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.description}"), console=console) as bar:
            task = bar.add_task("", total=len(d.SCRIPT))
            summary = d.play_script(base, progress=lambda n, total, text: bar.update(task, completed=n,
                                                                                      description=text[:40]))
        app.state.jobs.wait_idle(timeout=120)
        table = Table("who", "heard", "answer", title="what the speaker heard and said")
        for who, heard, answer in summary.answers:
            table.add_row(who, heard, answer)
        console.print(table)
        console.print(f"{summary.turns} turns in {summary.seconds:.1f} s: {summary.stored} stored, "
                      f"{summary.false_activations} false activations discarded")
        if month:
            _demo_month(store, settings, console)
        console.print(f"\n[bold]Privacy page:[/bold] {base}/login")
        for key, (email, password) in d.stored_logins(store, owner_ids).items():
            console.print(f"  {key}: {email} / {password}")
        if keep_serving:
            console.print("serving; Ctrl-C to stop")
            while thread.is_alive():
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        store.close()


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(data_dir: Path | None = DataDir) -> None:
    """Walk the whole chain; exit 1 and name the first entry that was edited or removed."""
    from ecoute.store import audit

    store = _store(data_dir)
    with store.session() as session:
        result = audit.verify(session)
    store.close()
    if not result.ok:
        typer.echo(f"audit chain BROKEN at entry {result.bad_seq}: {result.reason} "
                   f"({result.checked} entries verified before it)", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {result.checked} entries verified")


household_app = typer.Typer(help="Households (operator).", no_args_is_help=True)
owner_app = typer.Typer(help="Owners, members of a household (operator).", no_args_is_help=True)
device_app = typer.Typer(help="Speakers and satellites (operator).", no_args_is_help=True)


@household_app.command("add")
def household_add(name: str, data_dir: Path | None = DataDir) -> None:
    """Create a household; prints its id."""
    from ecoute.services.admin import add_household

    typer.echo(add_household(_store(data_dir), name))


@owner_app.command("add")
def owner_add(household: str = typer.Option(..., help="Household id."),
              name: str = typer.Option(..., help="Display name."),
              email: str = typer.Option(None, help="Login email (none: the owner cannot log in)."),
              language: str = typer.Option("en", help="en, fr or de."),
              data_dir: Path | None = DataDir) -> None:
    """Create an owner with their own data key; asks for the password (or ECOUTE_NEW_PASSWORD)."""
    from ecoute.config import secret_from_env
    from ecoute.services.admin import add_owner

    password = None
    if email:
        secret = secret_from_env("ECOUTE_NEW_PASSWORD")
        password = secret.get_secret_value() if secret else typer.prompt("password", hide_input=True,
                                                                         confirmation_prompt=True)
    typer.echo(add_owner(_store(data_dir), household, name=name, email=email, password=password, language=language))


@device_app.command("add")
def device_add(household: str = typer.Option(..., help="Household id."),
               name: str = typer.Option(..., help="Device name."),
               owner: str = typer.Option(None, help="Owner whose turns it records (default: none yet)."),
               data_dir: Path | None = DataDir) -> None:
    """Register a device without pairing; prints its id and token (shown once)."""
    from ecoute.services.admin import add_device

    if not name.strip():
        raise BadInput("a device needs a name")
    new = add_device(_store(data_dir), household, name.strip(), owner)
    typer.echo(f"device {new.id}\ntoken {new.token}")


def register(app: typer.Typer) -> None:
    """Add this area's subcommands to the top-level app."""
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.add_typer(audit_app, name="audit")
    app.add_typer(household_app, name="household")
    app.add_typer(owner_app, name="owner")
    app.add_typer(device_app, name="devices")
