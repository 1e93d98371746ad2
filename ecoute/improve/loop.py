"""One improvement round: measure, propose templates from reviewed misses, accept, measure again.

Before and after are measured on the same held-out cases (the dataset's ``test`` split by
default — tasks never used for proposals — or a synthesised held-out set), and both are
stored as eval runs, so every round leaves its before/after on the trend plots.

Accepting is a review lead's decision (the improvement page). ``accept_all`` exists for the
scripted lead of the demo and the benchmarks, and says so in the runs it records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ecoute.config import Settings
from ecoute.improve import proposals as props
from ecoute.improve.datasets import build_dataset, latest_fresh, load_examples
from ecoute.improve.evaluate import Case, assistant_recognizer, cases_from_examples, record, score
from ecoute.store.schema.enums import Split
from ecoute.store.store import Store


def _measure(store: Store, settings: Settings, held_out: dict[str, list[Case]], label: str,
             dataset_label: str, version_id: str | None) -> dict[str, dict]:
    out = {}
    recognizer = assistant_recognizer(settings)
    with store.session() as session:
        for language, cases in sorted(held_out.items()):
            scores = score(cases, recognizer)
            record(session, settings, language=language, scores=scores, label=label, dataset_label=dataset_label,
                   dataset_version_id=version_id)
            out[language] = scores.as_dict()
    return out


def improvement_round(store: Store, settings: Settings, *, dataset: str = "main",
                      held_out: dict[str, list[Case]] | None = None, accept_all: bool = False,
                      min_owners: int | None = None, build: bool = True,
                      progress: Callable[[str], None] | None = None) -> dict:
    """Run one round and return {"dataset", "before", "after", "proposals", "accepted"}.

    ``min_owners`` is the k of the proposals (default: the ``improve_min_owners`` setting).
    """
    say = progress or (lambda _msg: None)
    with store.vault_session() as (session, vault):
        version = build_dataset(session, dataset) if build else latest_fresh(session, dataset)
        say(f"dataset {version.name} v{version.version}: {version.item_count} items")
        train = load_examples(session, vault, version, split=Split.TRAIN, purpose="template proposals")
        if held_out is None:
            test = load_examples(session, vault, version, split=Split.TEST, purpose="evaluation")
            grouped: dict[str, list[Case]] = defaultdict(list)
            for case in cases_from_examples(test):
                grouped[case.language].append(case)
            held_out = dict(grouped)
        label, version_id = f"{version.name} v{version.version}", version.id
    before = _measure(store, settings, held_out, "before", label, version_id)
    say("measured before")
    with store.session() as session:
        proposed = props.propose(session, settings, train, min_owners=min_owners)
        listed = [{"id": p.id, "language": p.language, "intent": p.intent, "template": p.template,
                   "support": p.support, "new_intent": p.new_intent} for p in proposed]
    say(f"{len(listed)} template proposal(s)")
    accepted = 0
    if accept_all:
        with store.session() as session:
            for proposal in proposed:
                props.decide(session, settings, proposal.id, accept=True, staff_id="scripted-lead")
                accepted += 1
    after = _measure(store, settings, held_out, "after" if accepted else "after (nothing accepted)",
                     label, version_id)
    say("measured after")
    return {"dataset": label, "before": before, "after": after, "proposals": listed, "accepted": accepted}
