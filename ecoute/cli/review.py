"""Human review from the command line: staff accounts, the sampling stage, statistics, gold items.

``ecoute staff add --role reviewer --site Lisbon --country PT --languages en,fr --email …``
``ecoute review sample --all``   run the sampling stage over every turn not yet considered
``ecoute review stats [--json]`` queues, reviewers, agreement (what the lead page shows)
``ecoute review gold add FILE --transcript … --intent … --lang en``

Bad arguments exit with code 2 and a message, before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ecoute.errors import BadInput

DataDir = typer.Option(None, "--data-dir", help="Data directory (default: ECOUTE_DATA_DIR or ~/.local/share/ecoute).")


def _store(data_dir: Path | None):
    from ecoute.config import Settings
    from ecoute.store.store import Store

    return Store.open(Settings.load(data_dir=data_dir))


def register(app: typer.Typer) -> None:
    """Add ``staff`` and ``review`` command groups to the top-level app."""
    staff_app = typer.Typer(help="Staff accounts (reviewers, leads, officers).", no_args_is_help=True)
    review_app = typer.Typer(help="Human review: sampling, statistics, gold items.", no_args_is_help=True)
    gold_app = typer.Typer(help="Gold items: synthetic clips with known answers.", no_args_is_help=True)
    review_app.add_typer(gold_app, name="gold")
    app.add_typer(staff_app, name="staff")
    app.add_typer(review_app, name="review")

    @staff_app.command("add")
    def staff_add(
        email: str = typer.Option(..., help="Login email of the staff member."),
        role: str = typer.Option("reviewer", help="reviewer | lead | officer | ml"),
        site: str = typer.Option("", help="Review site, e.g. Lisbon."),
        country: str = typer.Option("", help="Two-letter country of the site, e.g. PT."),
        languages: str = typer.Option("", help="Comma-separated language codes, e.g. en,fr."),
        name: str = typer.Option("", help="Display name (shown to leads, never to owners)."),
        daily_cap: int | None = typer.Option(None, help="Tasks per day (default: the platform setting)."),
        password_env: str = typer.Option(
            "ECOUTE_STAFF_PASSWORD", help="Environment variable holding the password (else a prompt)."
        ),
        data_dir: Path | None = DataDir,
    ) -> None:
        """Create a reviewer or lead attached to a site and languages."""
        from ecoute.config import secret_from_env
        from ecoute.review.staff import create_staff
        from ecoute.store.identity import staff_email

        secret = secret_from_env(password_env)
        password = secret.get_secret_value() if secret else typer.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        store = _store(data_dir)
        try:
            with store.session() as session:
                staff = create_staff(
                    session,
                    store.settings,
                    store.keys,
                    email=email,
                    display_name=name,
                    password=password,
                    role=role,
                    site=site,
                    country=country,
                    languages=languages,
                    daily_cap=daily_cap,
                )
                typer.echo(
                    f"created {staff.role} {staff_email(store.keys, staff)} ({staff.site}, {staff.site_country}; "
                    f"languages {staff.languages or '-'})"
                )
        finally:
            store.close()

    @review_app.command("sample")
    def sample(
        all_: bool = typer.Option(
            False, "--all", help="Every turn not yet considered (and unfinished samples)."
        ),
        limit: int = typer.Option(0, help="At most this many turns (0 = no limit)."),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON summary."),
        data_dir: Path | None = DataDir,
    ) -> None:
        """Run the sampling stage (consent, caps, strata, boost) then review preparation."""
        from collections import Counter

        from rich.progress import Progress

        from ecoute.review.sampling import consider_turn, pending_turn_ids
        from ecoute.review.tasks import prepare_pending, prepare_sample

        if not all_ and not limit:
            raise BadInput("say which turns: --all, or --limit N")
        store = _store(data_dir)
        try:
            with store.session() as session:
                turn_ids = pending_turn_ids(session, limit or None)
            resumed = prepare_pending(store)
            outcomes: Counter = Counter()
            with Progress(transient=json_out) as progress:
                bar = progress.add_task("sampling", total=len(turn_ids) + len(resumed))
                for sample_id in resumed:
                    outcomes["resumed-" + prepare_sample(store, sample_id)["status"]] += 1
                    progress.advance(bar)
                for turn_id in turn_ids:
                    result = consider_turn(store, turn_id)
                    outcomes[result["status"] or result["reason"]] += 1
                    progress.advance(bar)
            summary = {
                "turns": len(turn_ids),
                "resumed": len(resumed),
                "outcomes": dict(sorted(outcomes.items())),
            }
            typer.echo(
                json.dumps(summary)
                if json_out
                else f"considered {len(turn_ids)} turn(s), resumed {len(resumed)}: "
                + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "nothing to do")
            )
        finally:
            store.close()

    @review_app.command("stats")
    def stats(
        json_out: bool = typer.Option(False, "--json", help="Print JSON."), data_dir: Path | None = DataDir
    ) -> None:
        """Queues, reviewers (today, cap, gold accuracy, pauses), agreement per reviewer pair."""
        from ecoute.review import lead

        store = _store(data_dir)
        try:
            with store.session() as session:
                data = lead.stats(session, store.settings, store.keys)
        finally:
            store.close()
        if json_out:
            typer.echo(json.dumps(data, indent=2, default=str))
            return
        from rich.console import Console
        from rich.table import Table

        console = Console()
        queues = Table("language", "queue", "status", "tasks", title="Queues")
        for q in data["queues"]:
            queues.add_row(q["language"], q["queue"], q["status"], str(q["count"]))
        console.print(queues)
        people = Table("name", "site", "languages", "today/cap", "gold", "status", title="Reviewers")
        for r in data["reviewers"]:
            gold = "—" if r["gold_accuracy"] is None else f"{r['gold_accuracy']:.0%} of {r['gold_n']}"
            people.add_row(
                r["name"],
                f"{r['site']}, {r['country']}",
                r["languages"],
                f"{r['today']}/{r['daily_cap']}",
                gold,
                "paused" if r["paused"] else "active",
            )
        console.print(people)
        pairs = Table("pair", "tasks", "intent agreement", "kappa", "WER", title="Double reviews")
        for p in data["pairs"]:
            pairs.add_row(
                f"{p['reviewer_a']} · {p['reviewer_b']}",
                str(p["n"]),
                f"{p['intent_agreement']:.0%}",
                f"{p['kappa']:.2f}",
                f"{p['mean_wer']:.2f}",
            )
        console.print(pairs)
        console.print(f"escalations waiting: {len(data['escalations'])}")

    @gold_app.command("add")
    def gold_add(
        audio: Path = typer.Argument(..., help="A synthetic clip (never an owner's recording)."),
        transcript: str = typer.Option(..., help="The right transcript."),
        intent: str = typer.Option("", help="The right intent (empty: none)."),
        lang: str = typer.Option("en", help="Language of the clip."),
        draft: str = typer.Option("", help="Transcript shown to reviewers (default: the right one)."),
        data_dir: Path | None = DataDir,
    ) -> None:
        """Add a gold item: reviewers cannot tell it from a real task; their answer is scored."""
        from ecoute.audio.io import load_audio
        from ecoute.review.staff import parse_languages
        from ecoute.review.tasks import create_gold_task

        if not transcript.strip():
            raise BadInput("a gold item needs its right transcript")
        langs = parse_languages(lang)
        if len(langs) != 1:
            raise BadInput("give exactly one language")
        clip = load_audio(audio, max_seconds=30.0)
        store = _store(data_dir)
        try:
            with store.session() as session:
                task = create_gold_task(
                    session,
                    store.blobs,
                    audio=clip,
                    language=langs[0],
                    transcript=transcript.strip(),
                    intent=intent.strip() or None,
                    draft=draft.strip() or None,
                )
                typer.echo(f"gold item {task.id[:8]} added ({langs[0]})")
        finally:
            store.close()
