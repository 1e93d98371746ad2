"""Sentence-template proposals from requests the assistant got wrong or could not handle.

For each training example whose corrected transcript the assistant does not map to the
reviewers' intent, the transcript is turned into a hassil template: slot values are
replaced by their slot (``{shopping_list_item}``, ``{timer_minutes}``), characters that
mean something in hassil syntax are dropped. A candidate is kept only if

- compiled together with every sentence file the assistant loads, it recognises the
  transcript it came from with the reviewers' intent *and* slots, and
- it does not change the answer on any example the assistant already got right
  (a wildcard-only template would swallow everything: this is what stops it), and
- requests of at least k *distinct owners* produced it (``improve_min_owners``, default 5,
  never below 3; counted in the owner zone by :func:`ecoute.improve.anonymity.support_owners`)
  — a template written from one person's sentences could carry them into every installation —
  and the PII analyzer finds nothing in it. Both are checked again when a lead accepts, and a
  deletion or erasure that takes the support below k withdraws it, accepted or not
  (:mod:`ecoute.improve.withdrawal`). ``support`` is that owner count; no owner is stored.

A review lead accepts or rejects proposals on the improvement page; accepted ones are
written to ``<extra_sentences_dir>/<lang>/improve_accepted.yaml``, which the assistant's
intents module loads after its own files, and the intent cache is cleared so the next
request is recognised with them.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections import defaultdict
from typing import TYPE_CHECKING

from hassil import Intents, recognize_best
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.assistant.intents import load_intents, normalise
from ecoute.assistant.intents import recognize as assistant_recognize
from ecoute.config import Settings
from ecoute.errors import BadInput, NotFound
from ecoute.improve.accepted import ACCEPTED_FILE, extra_dir, reload_assistant, sentence_files, write_accepted
from ecoute.improve.accepted import base_dict as _base_dict
from ecoute.improve.accepted import missing_lists as _missing_lists
from ecoute.improve.anonymity import free_of_personal_data, required_owners, support_owners
from ecoute.store.schema.base import utcnow
from ecoute.store.schema.datasets import TemplateProposal
from ecoute.store.schema.enums import ProposalStatus

if TYPE_CHECKING:  # annotations only: the deletion path imports this module's neighbours, not datasets
    from ecoute.improve.datasets import Example

__all__ = ["ACCEPTED_FILE", "decide", "extra_dir", "pending", "propose", "recognize", "reload_assistant",
           "sentence_files", "sentences_version", "templatize", "write_accepted"]
#: Characters with a meaning in hassil templates; a transcript never needs them.
_SYNTAX = re.compile(r"[()\[\]{}<>|;:]")
MAX_REGRESSION_CHECK = 300


def sentences_version(settings: Settings, language: str) -> str:
    """A digest of every sentence file the assistant loads for ``language`` (the eval's x-axis)."""
    digest = hashlib.sha256()
    for path in sentence_files(settings, language):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def recognize(settings: Settings, text: str, language: str):
    """The assistant's own recogniser, with the extra sentence directory it loads in production."""
    return assistant_recognize(text, language, extra_dir=extra_dir(settings))


# -- turning a transcript into a template ---------------------------------------------------

def _digitise(text: str, language: str) -> str:
    try:
        from text_to_num import alpha2digit

        return alpha2digit(text, language, threshold=3)
    except Exception:  # noqa: BLE001 - any failure: keep the words (hassil matches words and digits)
        return text


def templatize(transcript: str, slots: dict, language: str) -> str | None:
    """A hassil template for ``transcript`` with each slot value replaced by its slot."""
    text = _SYNTAX.sub(" ", normalise(transcript))
    if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in slots.values()):
        text = _digitise(text, language)
    for name, value in sorted(slots.items(), key=lambda kv: -len(str(kv[1]))):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", str(name)):
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = str(int(value)) if float(value).is_integer() else str(value)
            pattern = rf"(?<![\d.]){re.escape(number)}(?![\d.])"
        else:
            pattern = rf"\b{re.escape(str(value).strip().lower())}\b"
        text, count = re.subn(pattern, "{" + name + "}", text, count=1)
        if count == 0:
            return None
    text = " ".join(text.split())
    literal = re.sub(r"\{[^}]*\}", " ", text).strip()
    if not literal:
        return None  # slots only: would match anything
    return text


# -- checking a candidate against the real recogniser ----------------------------------------

def slot_types(slots: dict) -> dict[str, str]:
    return {str(k): "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else "text"
            for k, v in slots.items()}


def _with_templates(settings: Settings, language: str, templates: list[tuple[str, str]],
                    types: dict[str, str] | None = None) -> Intents:
    merged = copy.deepcopy(_base_dict(tuple(str(p) for p in sentence_files(settings, language))))
    merged.setdefault("language", language)
    intents = merged.setdefault("intents", {})
    for intent, template in templates:
        intents.setdefault(intent, {}).setdefault("data", []).append({"sentences": [template]})
    lists = merged.setdefault("lists", {})
    lists.update(_missing_lists(lists, types or {}))
    return Intents.from_dict(merged)


def _norm_slots(slots: dict) -> dict:
    out = {}
    for k, v in slots.items():
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        out[str(k)] = v.strip().lower() if isinstance(v, str) else v
    return out


def _matches(intents: Intents, text: str, language: str, intent: str | None, slots: dict) -> bool:
    result = recognize_best(normalise(text), intents, language=language)
    if result is None or result.intent.name != intent:
        return False
    got = _norm_slots({k: e.value for k, e in result.entities.items()})
    return got == _norm_slots(slots)


def handled_correctly(settings: Settings, example: Example) -> bool:
    match = recognize(settings, example.transcript, example.language)
    return match is not None and match.intent == example.intent


def known_intents(settings: Settings, language: str) -> set[str]:
    return set(load_intents(language, str(extra_dir(settings))).intents)


# -- proposals ------------------------------------------------------------------------------

def propose(session: Session, settings: Settings, examples: list[Example], *,
            min_owners: int | None = None) -> list[TemplateProposal]:
    """Create (or refresh) pending proposals from ``examples``; returns the pending ones touched.

    ``examples`` come from :func:`ecoute.improve.datasets.load_examples`, which refuses a
    stale dataset: a proposal is never drawn from removed data. ``min_owners`` is k (default:
    the ``improve_min_owners`` setting); below 3 it is refused with :class:`BadInput`.
    """
    k = required_owners(settings, min_owners)
    misses: dict[tuple[str, str, str], list[Example]] = defaultdict(list)
    correct: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        if not ex.intent or not ex.transcript:
            continue
        if handled_correctly(settings, ex):
            correct[ex.language].append(ex)
            continue
        template = templatize(ex.transcript, ex.slots, ex.language)
        if template is not None:
            misses[(ex.language, ex.intent, template)].append(ex)

    touched = []
    for (language, intent, template), support in sorted(misses.items()):
        task_ids = sorted({ex.task_id for ex in support})
        if len(task_ids) < k:
            continue  # k owners need at least k tasks: skip the count
        owners = support_owners(session, task_ids)
        if owners < k or not free_of_personal_data(template, language):
            continue
        existing = session.execute(select(TemplateProposal).where(
            TemplateProposal.language == language, TemplateProposal.intent == intent,
            TemplateProposal.template == template)).scalar_one_or_none()
        if existing is not None and existing.status != ProposalStatus.PENDING:
            continue
        types = slot_types(support[0].slots)
        intents = _with_templates(settings, language, [(intent, template)], types)
        if not all(_matches(intents, ex.transcript, language, intent, ex.slots) for ex in support):
            continue
        broken = [ex for ex in correct[language][:MAX_REGRESSION_CHECK]
                  if not _matches(intents, ex.transcript, language, ex.intent, ex.slots)
                  and _matches(_with_templates(settings, language, []), ex.transcript, language,
                               ex.intent, ex.slots)]
        if broken:
            continue
        if existing is None:
            existing = TemplateProposal(language=language, intent=intent, template=template,
                                        new_intent=intent not in known_intents(settings, language),
                                        day=utcnow().date().isoformat(), status=ProposalStatus.PENDING)
            session.add(existing)
        existing.support_tasks = task_ids
        existing.slot_types = types
        existing.support = owners
        touched.append(existing)
    session.flush()
    return touched


def pending(session: Session, language: str | None = None) -> list[TemplateProposal]:
    query = select(TemplateProposal).where(TemplateProposal.status == ProposalStatus.PENDING)
    if language:
        query = query.where(TemplateProposal.language == language)
    return list(session.execute(query.order_by(TemplateProposal.support.desc(), TemplateProposal.id)).scalars())


def decide(session: Session, settings: Settings, proposal_id: str, *, accept: bool, staff_id: str) -> TemplateProposal:
    """A lead's decision. Accepting writes the language's accepted-template file and reloads intents.

    Acceptance checks the k-owner rule and the PII scan again, on the support as it is now.
    """
    proposal = session.get(TemplateProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no template proposal {proposal_id!r}")
    if proposal.status != ProposalStatus.PENDING:
        raise BadInput(f"proposal {proposal_id[:8]} is already {proposal.status}")
    if accept:
        k = required_owners(settings)
        owners = support_owners(session, proposal.support_tasks or [])
        if owners < k:
            raise BadInput(f"proposal {proposal_id[:8]} is supported by {owners} distinct owner(s), "
                           f"fewer than {k}: it cannot be accepted")
        if not free_of_personal_data(proposal.template, proposal.language):
            raise BadInput(f"proposal {proposal_id[:8]} contains personal data: it cannot be accepted")
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    proposal.decided_by = staff_id
    session.flush()
    if accept:
        write_accepted(session, settings, proposal.language)
    return proposal
