"""Skills' per-owner state (timers, shopping list) kept in the ``skill_state`` table.

A shopping list is the owner's content as much as a recording is, so each namespace's
JSON is sealed with the owner's key (item id = namespace). The owner's own turn reads it
(actor = the owner), so reading it writes no audit entry.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from ecoute.store.schema.owner import SkillState as SkillStateRow
from ecoute.store.vault import Actor, Vault


class DbSkillState:
    """``get(namespace) -> dict`` / ``put(namespace, dict)`` inside the turn's transaction."""

    def __init__(self, session: Session, vault: Vault, owner_id: str):
        self.session = session
        self.vault = vault
        self.owner_id = owner_id

    def _item(self, namespace: str) -> str:
        return f"skill:{namespace}"

    def get(self, namespace: str) -> dict:
        row = self.session.get(SkillStateRow, (self.owner_id, namespace))
        if row is None:
            return {}
        raw = self.vault.open(self.owner_id, self._item(namespace), "skill-state", row.value_ct,
                              actor=Actor.owner(self.owner_id), purpose="the owner's own request")
        return json.loads(raw)

    def put(self, namespace: str, value: dict) -> None:
        sealed = self.vault.seal(self.owner_id, self._item(namespace), "skill-state", json.dumps(value).encode())
        row = self.session.get(SkillStateRow, (self.owner_id, namespace))
        if row is None:
            self.session.add(SkillStateRow(owner_id=self.owner_id, namespace=namespace, value_ct=sealed))
        else:
            row.value_ct = sealed
        self.session.flush()
