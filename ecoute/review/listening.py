""" "Who listened to my recordings?" — answered from the audit log, never with a name.

Every play of a prepared clip is an audited unwrap of its task key (see
:func:`ecoute.review.assignment.stream_clip`); the entry carries the reviewer's role, site
country and language team, and its day. Here the owner's own key opens the entries about
them and the task→recording links, so each play is attributed to a recording of theirs.
The reviewer's id is in the chain (for the operator's investigations) but never leaves this
module: the answer only groups and counts.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.review.assignment import LISTEN_PURPOSE
from ecoute.store.schema.owner import ReviewLink
from ecoute.store.vault import Actor, KeyDestroyed, Vault

LISTENER_ROLES = ("reviewer", "lead")


def _task_to_turn(session: Session, vault: Vault, owner_id: str) -> dict[str, str]:
    out = {}
    for link in session.execute(select(ReviewLink).where(ReviewLink.owner_id == owner_id)).scalars():
        raw = vault.open(
            owner_id,
            link.task_id,
            "turn-ref",
            link.turn_ref_ct,
            actor=Actor.owner(owner_id),
            purpose="owner: who listened",
        )
        out[link.task_id] = raw.decode()
    return out


def who_listened(session: Session, vault: Vault, owner_id: str) -> list[dict]:
    """Plays of this owner's clips, grouped per recording and overall.

    Each entry: ``{"scope": "recording"|"overall", "recording": turn id or None, "day", "role",
    "site_country", "language_team", "count"}``. ``recording`` is None in "overall" entries and
    for plays of a clip whose recording has since been deleted.
    """
    try:
        views = vault.audit_entries_for(owner_id)
    except KeyDestroyed:
        return []
    plays = [
        v
        for v in views
        if v.action == "decrypt"
        and v.purpose == LISTEN_PURPOSE
        and v.role in LISTENER_ROLES
        and v.details.get("kind") == "task-key"
    ]
    if not plays:
        return []
    turns = _task_to_turn(session, vault, owner_id)
    per_recording: Counter = Counter()
    overall: Counter = Counter()
    for v in plays:
        facts = (v.day, v.role, v.details.get("site_country", ""), v.details.get("language_team", ""))
        per_recording[(turns.get(v.item_id or ""), *facts)] += 1
        overall[facts] += 1
    entries = [
        {
            "scope": "recording",
            "recording": rec,
            "day": day,
            "role": role,
            "site_country": country,
            "language_team": team,
            "count": n,
        }
        for (rec, day, role, country, team), n in sorted(
            per_recording.items(), key=lambda kv: (kv[0][1], str(kv[0][0]))
        )
    ]
    entries += [
        {
            "scope": "overall",
            "recording": None,
            "day": day,
            "role": role,
            "site_country": country,
            "language_team": team,
            "count": n,
        }
        for (day, role, country, team), n in sorted(overall.items())
    ]
    return entries
