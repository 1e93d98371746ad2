"""k-anonymity of what the learning loop learns: templates and vocabulary words.

A template or a word learnt from one person's requests would carry that person into every
installation that loads it ("call ann about the announcement", a phone number, a rare
item). So an entry is learnt only when at least k *distinct owners* produced it, and only
when the PII analyzer finds nothing in it; when a deletion or an erasure takes its support
below k it is withdrawn (:mod:`ecoute.improve.withdrawal`).

Counting owners must not add a link to the review zone: review tasks do not know their
owner on purpose. :func:`support_owners` counts on the owner-zone side, through the link
table, and returns a number only; proposals and vocabulary keep at most that count. It is
the one place that knows how a task maps to an owner, so moving the link table to keyed
owner tags is one edit here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.errors import BadInput
from ecoute.privacy import pii
from ecoute.store import reviewrefs

#: Below this many distinct owners an entry could single a household out: refused everywhere.
FLOOR = 3
_CHUNK = 500
_SETTINGS_KEY = "settings"


def support_owners(session: Session, task_ids: Iterable[str]) -> int:
    """How many distinct owners the review tasks ``task_ids`` came from (a count, nothing else).

    Tasks without a link (removed, or never linked) count for nobody.
    The one place that counts, so the rule has one definition.
    """
    # counted by keyed owner tag in the owner-zone link table: the count, never an owner id
    return reviewrefs.distinct_owners(session, list(task_ids))


def check_floor(k: int, *, source: str = "min_owners") -> int:
    """``k`` itself, or :class:`BadInput` when it is below :data:`FLOOR`."""
    if k < FLOOR:
        raise BadInput(f"{source} must be at least {FLOOR} distinct owners (k-anonymity of the learning loop), "
                       f"not {k}: an entry from fewer people can identify them")
    return k


def required_owners(settings: Settings, requested: int | None = None) -> int:
    """k for this run: ``requested`` if given, else the ``improve_min_owners`` setting; never below the floor."""
    if requested is not None:
        return check_floor(requested)
    return check_floor(settings.policy.improve_min_owners, source="ECOUTE_IMPROVE_MIN_OWNERS")


def withdrawal_threshold(settings: Settings) -> int:
    """k when recounting after a deletion: a misconfigured setting must not make a deletion fail."""
    return max(settings.policy.improve_min_owners, FLOOR)


def free_of_personal_data(text: str, language: str) -> bool:
    """True when the PII analyzer finds no entity in ``text`` (an unsupported language fails closed)."""
    try:
        return not pii.redact_text(text, language).entities
    except BadInput:
        return False


def settings_of(session: Session) -> Settings:
    """The settings of the store that opened ``session`` (see :meth:`ecoute.store.store.Store.session`).

    Deletion and erasure hand the learning loop only their session; the files a withdrawal
    must rewrite (accepted templates, vocabulary) live where those settings say.
    """
    settings = session.info.get(_SETTINGS_KEY)
    if not isinstance(settings, Settings):
        raise RuntimeError("this session was not opened by Store.session(): the learning loop cannot find "
                           "its files to withdraw entries from")
    return settings
