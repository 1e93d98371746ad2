"""Subcommands of the learning loop: datasets, evaluation, proposals, improvement rounds.

See ecoute/cli/__init__.py for how they are registered. Heavy imports happen inside the commands.
These act on the store directly (operator / ML engineer on the server); accepting
templates is normally a review lead's decision on the improvement page (/improve).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ecoute.errors import BadInput

DataDir = typer.Option(None, "--data-dir", help="Data directory (default: ECOUTE_DATA_DIR or ~/.local/share/ecoute).")
JsonOut = typer.Option(False, "--json", help="Print the result as JSON.")
DatasetOpt = typer.Option("main", "--dataset", "-d", help="Dataset name.")

improve_app = typer.Typer(help="The learning loop: datasets, evaluation, proposals, rounds.", no_args_is_help=True)
dataset_app = typer.Typer(help="Versioned datasets of reviewed requests (with lineage).", no_args_is_help=True)
improve_app.add_typer(dataset_app, name="dataset")

SPLITS = ("test", "train", "all")


def _check_min_owners(min_owners: int | None) -> int | None:
    """Refuse k below the floor as a usage error (exit 2), naming the option."""
    from ecoute.improve.anonymity import FLOOR

    if min_owners is not None and min_owners < FLOOR:
        raise typer.BadParameter(f"{min_owners} is below {FLOOR}: a template from fewer distinct owners "
                                 "can identify them (k-anonymity of the learning loop)",
                                 param_hint="'--min-support' / '--min-owners'")
    return min_owners


#: k of the learning loop; ``--min-support`` is the flag's earlier name, kept as an alias.
MinOwners = typer.Option(None, "--min-support", "--min-owners",
                         help="Distinct owners a template needs (k-anonymity; at least 3; "
                              "default: ECOUTE_IMPROVE_MIN_OWNERS, 5).",
                         callback=_check_min_owners)


def _settings(data_dir: Path | None):
    from ecoute.config import Settings

    return Settings.load(data_dir=data_dir)


def _store(data_dir: Path | None):
    from ecoute.store.store import Store

    return Store.open(_settings(data_dir))


def _print(data: object, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str) if as_json else text)


def _version_json(v) -> dict:
    return {"name": v.name, "version": v.version, "id": v.id, "kind": v.kind, "items": v.item_count,
            "languages": v.languages, "stale": v.stale, "stale_reason": v.stale_reason,
            "rebuilt_as": v.rebuilt_as, "lineage_digest": v.lineage_digest, "skipped": v.skipped,
            "built_day": v.built_day}


@dataset_app.command("build")
def dataset_build(name: str, data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Build a new version of dataset NAME from reviewed, non-sensitive, gold-checked, agreed annotations."""
    from ecoute.improve.datasets import build_dataset

    store = _store(data_dir)
    with store.session() as session:
        v = _version_json(build_dataset(session, name))
    _print(v, as_json, f"{v['name']} v{v['version']}: {v['items']} items {v['languages']}; skipped {v['skipped']}")


@dataset_app.command("list")
def dataset_list(name: str = typer.Argument(None), data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """List dataset versions, with their stale flags."""
    from ecoute.improve.datasets import versions

    store = _store(data_dir)
    with store.session() as session:
        rows = [_version_json(v) for v in versions(session, name)]
    lines = [f"{r['name']} v{r['version']} {r['kind']:7} {r['items']:6} items"
             f"{'  STALE: ' + (r['stale_reason'] or '') if r['stale'] else ''}" for r in rows]
    _print(rows, as_json, "\n".join(lines) or "no datasets yet")


@dataset_app.command("rebuild")
def dataset_rebuild(data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Rebuild every dataset whose newest version went stale (what the job stage does)."""
    from ecoute.improve.datasets import rebuild_stale

    result = rebuild_stale(_store(data_dir))
    lines = [f"{r['name']}: v{r['from']} -> v{r['to']} ({r['items']} items, {r['removed']} removed)"
             for r in result["rebuilt"]]
    _print(result, as_json, "\n".join(lines) or "nothing stale")


@improve_app.command("eval")
def evaluate(dataset: str = DatasetOpt, split: str = typer.Option("test", help="test | train | all"),
             label: str = typer.Option("", help="A label for this run on the trend plots."),
             asr: bool = typer.Option(False, "--asr", help="Transcribe the prepared audio afresh (slow)."),
             data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Measure the assistant on a dataset: WER, intent accuracy, slot F1, unhandled rate, false accepts."""
    from ecoute.improve.evaluate import evaluate_dataset

    if split not in SPLITS:
        raise BadInput(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    settings = _settings(data_dir)
    from ecoute.store.store import Store

    store = Store.open(settings)
    with store.vault_session() as (session, vault):
        runs = evaluate_dataset(session, vault, settings, dataset, label=label,
                                split=None if split == "all" else split, transcribe_audio=asr)
        rows = [{"language": r.language, "n": r.n, "wer": r.wer, "intent_accuracy": r.intent_accuracy,
                 "slot_f1": r.slot_f1, "unhandled_rate": r.unhandled_rate,
                 "false_accepts_per_device_hour": r.false_accepts_per_device_hour,
                 "asr_version": r.asr_version, "sentences_version": r.sentences_version,
                 "dataset": r.dataset_label} for r in runs]
    lines = [f"{r['language']}: n={r['n']} intent={r['intent_accuracy']:.3f} slotF1={r['slot_f1']:.3f} "
             f"unhandled={r['unhandled_rate']:.3f} wer={'-' if r['wer'] is None else format(r['wer'], '.3f')}"
             for r in rows]
    _print(rows, as_json, "\n".join(lines) or "the dataset has no items to evaluate")


@improve_app.command("propose")
def propose(dataset: str = DatasetOpt, min_owners: int | None = MinOwners,
            data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Propose sentence templates from corrected transcripts the assistant got wrong or could not handle."""
    from ecoute.improve import proposals as props
    from ecoute.improve.anonymity import required_owners
    from ecoute.improve.datasets import latest_fresh, load_examples

    settings = _settings(data_dir)
    required_owners(settings, min_owners)  # a k below 3 (flag or setting) is refused before any work
    from ecoute.store.store import Store

    store = Store.open(settings)
    with store.vault_session() as (session, vault):
        version = latest_fresh(session, dataset)
        examples = load_examples(session, vault, version, split="train", purpose="template proposals")
        made = props.propose(session, settings, examples, min_owners=min_owners)
        rows = [{"id": p.id, "language": p.language, "intent": p.intent, "template": p.template,
                 "support": p.support, "new_intent": p.new_intent} for p in made]
        lines = [f"{p.id[:8]} {p.language} {p.intent}: {p.template} (support: {p.support} owners)" for p in made]
    _print(rows, as_json, "\n".join(lines) or "no proposals")


def _decide(proposal_id: str, accept: bool, data_dir: Path | None) -> None:
    from sqlalchemy import select

    from ecoute.improve import proposals as props
    from ecoute.store.schema.datasets import TemplateProposal
    from ecoute.store.store import Store

    settings = _settings(data_dir)
    store = Store.open(settings)
    with store.session() as session:
        ids = session.execute(select(TemplateProposal.id).where(TemplateProposal.id.startswith(proposal_id))).scalars().all()
        if len(ids) != 1:
            raise BadInput(f"{proposal_id!r} matches {len(ids)} proposals; give more of the id")
        p = props.decide(session, settings, ids[0], accept=accept, staff_id="cli")
        typer.echo(f"{p.status}: {p.language} {p.intent}: {p.template}")


@improve_app.command("accept")
def accept(proposal_id: str, data_dir: Path | None = DataDir) -> None:
    """Accept a proposal (writes the accepted-templates sentence file)."""
    _decide(proposal_id, True, data_dir)


@improve_app.command("reject")
def reject(proposal_id: str, data_dir: Path | None = DataDir) -> None:
    """Reject a proposal (it will not be proposed again)."""
    _decide(proposal_id, False, data_dir)


@improve_app.command("round")
def improvement_round(dataset: str = DatasetOpt,
                      accept_all: bool = typer.Option(False, "--accept-all",
                                                      help="Accept every proposal (scripted lead: demos only)."),
                      min_owners: int | None = MinOwners,
                      data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """One round: build, measure before, propose, (accept), measure after — on the held-out split."""
    from ecoute.improve.anonymity import required_owners
    from ecoute.improve.loop import improvement_round as run

    settings = _settings(data_dir)
    required_owners(settings, min_owners)  # a k below 3 (flag or setting) is refused before any work
    from ecoute.store.store import Store

    result = run(Store.open(settings), settings, dataset=dataset, accept_all=accept_all, min_owners=min_owners,
                 progress=lambda msg: typer.echo(msg, err=True))
    _print(result, as_json, _before_after(result["before"], result["after"]) +
           f"\n{len(result['proposals'])} proposal(s), {result['accepted']} accepted")


def _before_after(before: dict, after: dict) -> str:
    lines = []
    for lang in sorted(before):
        b, a = before[lang], after[lang]
        lines.append(f"{lang}: intent accuracy {b['intent_accuracy']:.3f} -> {a['intent_accuracy']:.3f}, "
                     f"unhandled {b['unhandled_rate']:.3f} -> {a['unhandled_rate']:.3f} (n={b['n']})")
    return "\n".join(lines) or "no held-out items"


@improve_app.command("vocabulary")
def vocabulary(dataset: str = DatasetOpt, language: str = typer.Option("en", "--language", "-l"),
               data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Derive the ASR domain vocabulary (hotwords / initial prompt) for LANGUAGE from a dataset."""
    from ecoute.improve import vocabulary as voc
    from ecoute.improve.anonymity import required_owners
    from ecoute.improve.datasets import latest_fresh, load_examples

    if language not in ("en", "fr", "de"):
        raise BadInput(f"--language must be en, fr or de, not {language!r}")
    settings = _settings(data_dir)
    k = required_owners(settings)
    from ecoute.store.store import Store

    store = Store.open(settings)
    with store.vault_session() as (session, vault):
        version = latest_fresh(session, dataset)
        examples = load_examples(session, vault, version, split="train", language=language, purpose="vocabulary")
        vocab = voc.build_vocabulary(session, examples, language, min_owners=k,
                                     device_names=voc.shared_device_names(session, min_households=k),
                                     dataset_version_id=version.id)
        path = voc.save(settings, vocab)
    _print({"language": language, "words": vocab.words, "path": str(path)}, as_json,
           f"{len(vocab.words)} words -> {path}: {vocab.initial_prompt or ''}")


@improve_app.command("tune-wake")
def tune_wake(max_false_reject_increase: float = typer.Option(0.02, min=0.0, max=1.0),
              data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Tune each device's wake threshold from false-activation verdicts and owners' reports."""
    from ecoute.audio.wake import get_wake_detector
    from ecoute.improve.wake_tuning import tune_devices

    settings = _settings(data_dir)
    from ecoute.store.store import Store

    store = Store.open(settings)
    threshold = get_wake_detector(settings).threshold
    with store.session() as session:
        changes = tune_devices(session, settings, detector_threshold=threshold,
                               max_false_reject_increase=max_false_reject_increase)
        rows = [{"device_id": c.device_id, "before": c.before, "after": c.after,
                 "false": c.false_scores, "true": c.true_scores, "reported": c.reported} for c in changes]
    _print(rows, as_json, "\n".join(f"{c.device_id[:8]}: {c.before} -> {c.after}" for c in changes)
           or "no device has enough evidence for a change")


@improve_app.command("demo-month")
def demo_month(days: int = typer.Option(30, help="Days to simulate."), seed: int = typer.Option(0),
               data_dir: Path | None = DataDir, as_json: bool = JsonOut) -> None:
    """Simulate a month of a neighbourhood (24 people) with review opted in, then one improvement round."""
    from rich.progress import Progress

    from ecoute.improve.demo_month import simulate_month
    from ecoute.store.store import Store

    if not 1 <= days <= 365:
        raise BadInput(f"--days must be between 1 and 365, not {days}")
    settings = _settings(data_dir)
    store = Store.open(settings)
    with Progress(transient=True) as bar:
        task = bar.add_task("simulating days", total=days)
        result = simulate_month(store, settings, days=days, seed=seed,
                                progress=lambda done, total: bar.update(task, completed=done))
    _print(result, as_json, _before_after(result["intents"]["before"], result["intents"]["after"]) +
           f"\n{result['reviewed']} reviewed of {result['turns']} turns of {result['people']} people; "
           f"{_accepted_text(result)}"
           f"\nfalse accepts per device-hour: {result['wake']['false_accepts_per_device_hour_before']:.4f} -> "
           f"{result['wake']['false_accepts_per_device_hour_after']:.4f}")


def _accepted_text(result: dict) -> str:
    """What the round learnt, saying so when no template had enough distinct people behind it."""
    k = result["min_owners"]
    if not result["accepted"]:
        return f"no template was used by {k} or more distinct people: none accepted"
    return f"{result['accepted']} templates accepted (each used by {k} or more distinct people)"


def register(app: typer.Typer) -> None:
    """Add this area's subcommands to the top-level app."""
    app.add_typer(improve_app, name="improve")
