"""Withdrawal: what the learning loop learnt stops being used once its support falls below k.

Called by :func:`ecoute.improve.lineage.mark_tasks_removed`, in the deleting transaction,
with the review tasks a deletion or an erasure removed (their owner-zone links are already
gone). For every template proposal, pending *or accepted*, and every vocabulary word that
one of those tasks supported, the distinct owners of the remaining support are counted
again (:func:`ecoute.improve.anonymity.support_owners`); below k the proposal is marked
``withdrawn`` and the word dropped, and the files the assistant and the ASR read — the
accepted-templates sentence file and the vocabulary file — are rewritten without them
(the intent cache is cleared, so the next request is recognised without the template).

The files are written before the deletion commits: if it rolls back, a file misses an entry
the database still accepts (the safe side), and the next write of that file restores it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.improve import vocabulary
from ecoute.improve.accepted import write_accepted
from ecoute.improve.anonymity import settings_of, support_owners, withdrawal_threshold
from ecoute.store.schema.datasets import TemplateProposal

LANGUAGES = ("en", "fr", "de")


def withdraw_unsupported(session: Session, removed: set[str]) -> dict[str, int]:
    """Recount the support of everything ``removed`` supported; withdraw below k. Returns counts."""
    settings = settings_of(session)
    k = withdrawal_threshold(settings)
    return {"templates": _templates(session, settings, removed, k),
            "words": sum(_words(session, settings, language, removed, k) for language in LANGUAGES)}


def _templates(session: Session, settings: Settings, removed: set[str], k: int) -> int:
    rewrite: set[str] = set()
    withdrawn = 0
    for proposal in session.execute(select(TemplateProposal).where(
            TemplateProposal.status.in_(("pending", "accepted")))).scalars():
        before = list(proposal.support_tasks or [])
        kept = [t for t in before if t not in removed]
        if len(kept) == len(before):
            continue
        proposal.support_tasks = kept
        proposal.support = support_owners(session, kept)
        if proposal.support < k:
            if proposal.status == "accepted":
                rewrite.add(proposal.language)
            proposal.status = "withdrawn"
            proposal.note = f"support fell below {k} distinct owners after a deletion or erasure"
            withdrawn += 1
    session.flush()
    for language in sorted(rewrite):
        write_accepted(session, settings, language)
    return withdrawn


def _words(session: Session, settings: Settings, language: str, removed: set[str], k: int) -> int:
    vocab = vocabulary.read(settings, language)
    if vocab is None:
        return 0
    touched, withdrawn = False, 0
    for word, tasks in list(vocab.support.items()):
        kept = [t for t in tasks if t not in removed]
        if len(kept) == len(tasks):
            continue
        touched = True
        owners = support_owners(session, kept)
        if owners >= k:
            vocab.support[word], vocab.owners[word] = kept, owners
            continue
        del vocab.support[word]
        vocab.owners.pop(word, None)
        vocab.words = [w for w in vocab.words if w != word]
        vocab.withdrawn += 1
        withdrawn += 1
    if touched:
        vocabulary.save(settings, vocab)
    return withdrawn
