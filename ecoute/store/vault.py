"""The one place that encrypts and decrypts owner content (the key broker).

Every read of owner content by anyone but the owner writes an audit entry in the same
transaction (who, role, purpose, which item, when). Keys:

- each owner has a DEK, stored only wrapped by the key provider's KEK (``owners.wrapped_dek``);
- content is sealed with the DEK and ``(owner id, item id, kind)`` as associated data;
- review tasks get their own task key, stored wrapped by the owner's DEK in the owner zone.

Erasing an owner destroys their wrapping key in the key provider and clears
``wrapped_dek``, *first*: from then on nothing of theirs can be decrypted anywhere, including
in a database backup taken before (it holds only a wrapped DEK that nothing unwraps any more).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ecoute.store import audit, crypto
from ecoute.store.blobs import BlobStore
from ecoute.store.keys import KeyProvider
from ecoute.store.schema.owner import Owner


class KeyDestroyed(crypto.DecryptionError):
    """The owner was erased: their data key no longer exists."""


@dataclass(frozen=True)
class Actor:
    """Who is asking. ``details`` holds what an owner may later see (site country, team)."""

    id: str
    role: str  # owner | reviewer | lead | officer | ml | system | device
    details: dict = field(default_factory=dict)

    @staticmethod
    def system(job: str) -> Actor:
        return Actor(f"system:{job}", "system")

    @staticmethod
    def owner(owner_id: str) -> Actor:
        return Actor(owner_id, "owner")


class Vault:
    """Encrypt/decrypt owner content inside one database session."""

    def __init__(self, session: Session, keys: KeyProvider, blobs: BlobStore):
        self.session = session
        self.keys = keys
        self.blobs = blobs
        self._deks: dict[str, bytes] = {}

    # -- owner keys ---------------------------------------------------------------------
    def create_owner_key(self, owner: Owner) -> None:
        if owner.id is None:
            raise ValueError("owner needs an id before a key can be bound to it")
        dek = crypto.new_key()
        owner.wrapped_dek = self.keys.wrap(dek, owner.id)
        owner.kek_id = self.keys.key_id
        self._deks[owner.id] = dek

    def dek(self, owner_id: str) -> bytes:
        if owner_id in self._deks:
            return self._deks[owner_id]
        owner = self.session.get(Owner, owner_id)
        if owner is None or owner.wrapped_dek is None:
            raise KeyDestroyed(f"no data key for owner {owner_id[:6]}…: erased or unknown")
        try:
            dek = self.keys.unwrap(owner.wrapped_dek, owner_id)
        except crypto.DecryptionError:
            raise KeyDestroyed(f"the data key of owner {owner_id[:6]}… was destroyed") from None
        self._deks[owner_id] = dek
        return dek

    def destroy_owner_key(self, owner_id: str) -> None:
        """Crypto-shred: forget the wrapped DEK. The caller commits this before anything else."""
        self.keys.forget(owner_id)
        owner = self.session.get(Owner, owner_id)
        if owner is not None:
            owner.wrapped_dek = None
            owner.status = "erasing" if owner.status == "active" else owner.status
        self._deks.pop(owner_id, None)

    def owner_tag(self, owner_id: str, purpose: str = "owner-tag") -> str:
        """A stable keyed hash of the owner, unlinkable once their key is destroyed."""
        return crypto.keyed_tag(crypto.derive(self.dek(owner_id), purpose), owner_id)

    def item_tag(self, owner_id: str, item_id: str) -> str:
        return crypto.keyed_tag(crypto.derive(self.dek(owner_id), "item-tag"), item_id)

    # -- content ------------------------------------------------------------------------
    def seal(self, owner_id: str, item_id: str, kind: str, plaintext: bytes) -> bytes:
        return crypto.seal(self.dek(owner_id), plaintext, crypto.aad_for(owner_id, item_id, kind))

    def open(
        self, owner_id: str, item_id: str, kind: str, ciphertext: bytes, *, actor: Actor, purpose: str
    ) -> bytes:
        """Decrypt one item; audited unless the owner reads their own content."""
        plaintext = crypto.open_sealed(self.dek(owner_id), ciphertext, crypto.aad_for(owner_id, item_id, kind))
        self._audit_access(owner_id, item_id, kind, actor, purpose)
        return plaintext

    def put_blob(self, owner_id: str, item_id: str, kind: str, data: bytes) -> str:
        key = f"owners/{owner_id}/{kind}/{item_id}"
        self.blobs.put(key, self.seal(owner_id, item_id, kind, data))
        return key

    def get_blob(self, owner_id: str, item_id: str, kind: str, key: str, *, actor: Actor, purpose: str) -> bytes:
        return self.open(owner_id, item_id, kind, self.blobs.get(key), actor=actor, purpose=purpose)

    # -- review task keys ---------------------------------------------------------------
    def new_task_key(self, owner_id: str, task_id: str) -> tuple[bytes, bytes]:
        """A fresh key for one review task, and that key wrapped by the owner's DEK."""
        task_key = crypto.new_key()
        return task_key, self.seal(owner_id, task_id, "task-key", task_key)

    def unwrap_task_key(self, owner_id: str, task_id: str, wrapped: bytes, *, actor: Actor, purpose: str) -> bytes:
        return self.open(owner_id, task_id, "task-key", wrapped, actor=actor, purpose=purpose)

    # -- audit --------------------------------------------------------------------------
    def _audit_access(self, owner_id: str, item_id: str, kind: str, actor: Actor, purpose: str) -> None:
        if actor.role == "owner" and actor.id == owner_id:
            return
        self.audit(actor, action="decrypt", purpose=purpose, owner_id=owner_id, item_id=item_id,
                   details={"kind": kind, **actor.details})

    def audit(self, actor: Actor, *, action: str, purpose: str, owner_id: str | None = None,
              item_id: str | None = None, details: dict | None = None) -> None:
        """Append an audit entry about an owner (their fields sealed with their key)."""
        owner_tag = subject_ct = None
        if owner_id is not None:
            owner_tag = self.owner_tag(owner_id, "audit-tag")
            subject = f"{owner_id}\x1f{item_id or ''}".encode()
            subject_ct = crypto.seal(self.dek(owner_id), subject, crypto.aad_for(owner_id, "audit", "subject"))
        # an owner acting on their own data is recorded as "self": the chain outlives erasure,
        # so no owner id may ever stand in the clear in it
        actor_id = "self" if actor.role == "owner" else actor.id
        audit.append(self.session, actor=actor_id, role=actor.role, action=action, purpose=purpose,
                     owner_tag=owner_tag, subject_ct=subject_ct, details=details or {})

    def audit_entries_for(self, owner_id: str) -> list[audit.OwnerAuditView]:
        """The audit entries about this owner, as the owner may read them."""
        dek = self.dek(owner_id)
        tag = self.owner_tag(owner_id, "audit-tag")
        views = []
        for entry in audit.entries_with_tag(self.session, tag):
            item_id = None
            if entry.subject_ct is not None:
                raw = crypto.open_sealed(dek, entry.subject_ct, crypto.aad_for(owner_id, "audit", "subject"))
                item_id = raw.decode().split("\x1f", 1)[1] or None
            views.append(audit.OwnerAuditView.from_entry(entry, item_id))
        return views
