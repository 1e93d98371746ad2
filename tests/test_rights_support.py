"""Shared helpers for the owners'-rights tests: owners, turns, review tasks and a scanner.

Review tasks are built here the way the review pipeline stores them (task key wrapped by the
owner's DEK in the owner-zone link, content sealed with the task key), so the cascades are
tested against real rows without running review preparation.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect, select, text

from ecoute.store import crypto
from ecoute.store.accounts import create_household, create_owner
from ecoute.store.identity import seal_staff_identity
from ecoute.store.schema.base import new_id
from ecoute.store.schema.owner import Consent, Owner, PartnerHandoff, ReviewLink
from ecoute.store.schema.review import Annotation, ReviewTask, Staff
from ecoute.store.store import Store
from ecoute.store.turns import TurnContent, save_turn
from ecoute.store.vault import Actor

PASSWORD = "correct horse battery"


def make_owner(store: Store, name: str = "Ana", email: str | None = None, **fields) -> str:
    with store.vault_session() as (session, vault):
        home = create_household(session, f"home of {name}")
        owner = create_owner(session, vault, store.settings, home, display_name=name,
                             email=email or f"{name.lower()}-{new_id()[:6]}@example.org", password=PASSWORD)
        for key, value in fields.items():
            setattr(owner, key, value)
        session.add(Consent(owner_id=owner.id, purpose="review", granted=True, text_version="v1",
                            text_hash="0" * 64))
        return owner.id


def audio_for(owner_id: str, n: int) -> bytes:
    """Synthetic 'audio' whose bytes name its owner, so a leak would be visible in an export."""
    return b"RIFF" + f"owner={owner_id};n={n};".encode() + bytes(64)


def make_turn(store: Store, owner_id: str, n: int = 0, created_at: datetime | None = None,
              handoff: bool = False) -> str:
    with store.vault_session() as (session, vault):
        turn = save_turn(session, vault, owner_id=owner_id, device_id=None, audio_wav=audio_for(owner_id, n),
                         content=TurnContent(f"utterance {n} of {owner_id}", f"answer {n}", "HassGetWeather"),
                         language="en", duration_s=1.5, handled=True, confidence=0.9, created_at=created_at)
        if handoff:
            handoff_id = new_id()  # convention: sealed with (owner id, hand-off id, "handoff")
            session.add(PartnerHandoff(id=handoff_id, owner_id=owner_id, turn_id=turn.id, partner="weather-partner",
                                       payload_ct=vault.seal(owner_id, handoff_id, "handoff",
                                                             b'{"request": "weather"}')))
        return turn.id


def staff(store: Store, role: str = "reviewer") -> str:
    with store.session() as session:
        person = Staff(id=new_id(), password_hash="x", role=role)
        seal_staff_identity(store.keys, person, email=f"{role}-{new_id()[:8]}@staff.example", display_name=role)
        session.add(person)
        session.flush()
        return person.id


def make_task(store: Store, owner_id: str, turn_id: str, reviewer_id: str, *, annotated: bool = True) -> str:
    """A prepared review task for one turn, sealed the way ``ecoute.review.tasks`` seals them."""
    from ecoute.review.tasks import audio_blob_key
    from ecoute.store.taskseal import seal_for_task

    task_id = new_id()
    with store.vault_session() as (session, vault):
        task_key, wrapped = vault.new_task_key(owner_id, task_id)
        blob_key = audio_blob_key(task_id)
        store.blobs.put(blob_key, seal_for_task(task_key, task_id, "audio", b"prepared clip"))
        session.add(ReviewTask(id=task_id, language="en", status="done" if annotated else "pending",
                               audio_blob=blob_key, created_week="2026-W48",
                               content_ct=seal_for_task(task_key, task_id, "content", b'{"transcript": "redacted"}')))
        session.add(ReviewLink(task_id=task_id, owner_id=owner_id,
                               turn_ref_ct=vault.seal(owner_id, task_id, "turn-ref", turn_id.encode()),
                               turn_tag=vault.item_tag(owner_id, turn_id), wrapped_task_key=wrapped))
        session.flush()
        if annotated:
            ann_id = new_id()
            payload = json.dumps({"transcript": "corrected text", "slots": {}}).encode()
            session.add(Annotation(id=ann_id, task_id=task_id, reviewer_id=reviewer_id, kind="label",
                                   intent="HassGetWeather",
                                   payload_ct=seal_for_task(task_key, task_id, f"annotation:{ann_id}", payload)))
    return task_id


def capture_dek(store: Store, owner_id: str) -> bytes:
    """The owner's DEK, as an attacker with a pre-erasure memory dump would hold it (test only)."""
    with store.vault_session() as (_session, vault):
        return vault.dek(owner_id)


def binary_values(store: Store) -> list[tuple[str, bytes]]:
    """Every binary value in every table, and every blob: all the ciphertext there is."""
    found: list[tuple[str, bytes]] = []
    with store.session() as session:
        insp = inspect(session.get_bind())
        for table in insp.get_table_names():
            for column in insp.get_columns(table):
                if "BINARY" in str(column["type"]).upper() or "BLOB" in str(column["type"]).upper() \
                        or "BYTEA" in str(column["type"]).upper():
                    for (value,) in session.execute(text(f'SELECT "{column["name"]}" FROM "{table}"')):
                        if value is not None:
                            found.append((f"{table}.{column['name']}", bytes(value)))
    for key in store.blobs.keys():  # noqa: SIM118 - a BlobStore method, not a dict
        found.append((f"blob:{key}", store.blobs.get(key)))
    return found


def decryptable_with(dek: bytes, owner_id: str, item_ids: list[str], values: list[tuple[str, bytes]],
                     *, audit: bool = False) -> list[str]:
    """Which stored values authenticate under ``dek`` as content of these items.

    With ``audit``, also the owner's audit subjects: those stay after a per-item deletion on
    purpose (the owner may read that they deleted something), sealed with the owner's key.
    """
    kinds = ("audio", "transcript", "answer", "meta", "task-key", "turn-ref", "handoff")
    hits = []
    for where, value in values:
        for item in [*item_ids, *(["audit"] if audit else [])]:
            for kind in (*kinds, "subject"):
                try:
                    crypto.open_sealed(dek, value, crypto.aad_for(owner_id, item, kind))
                except crypto.DecryptionError:
                    continue
                hits.append(f"{where} ({item}/{kind})")
    return hits


def mentions(store: Store, needle: str) -> list[str]:
    """Rows (any column, as text) and blob keys that contain ``needle`` — e.g. an owner id."""
    hits = []
    with store.session() as session:
        for table in inspect(session.get_bind()).get_table_names():
            if table in ("alembic_version", "dsr_requests"):
                continue  # the request row keeps the owner id on purpose (the officer's receipt)
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                if needle in repr(tuple(row)):
                    hits.append(table)
    hits += [f"blob:{k}" for k in store.blobs.keys() if needle in k]  # noqa: SIM118
    return hits


def owner_status(store: Store, owner_id: str) -> str | None:
    with store.session() as session:
        return session.execute(select(Owner.status).where(Owner.id == owner_id)).scalar_one_or_none()


def task_key_of(store: Store, owner_id: str, task_id: str) -> bytes:
    """The task key, as someone who unwrapped it before the deletion would hold it (test only)."""
    with store.vault_session() as (session, vault):
        link = session.get(ReviewLink, task_id)
        return vault.unwrap_task_key(owner_id, task_id, link.wrapped_task_key, actor=Actor.owner(owner_id),
                                     purpose="test")


def make_dataset_item(store: Store, task_id: str, task_key: bytes) -> tuple[str, str]:
    """A dataset version holding the task's reviewed content, as the learning loop builds it;
    returns (version id, task id), the item's key."""
    from ecoute.store.schema.datasets import DatasetItem, DatasetVersion
    from ecoute.store.taskseal import seal_for_task

    with store.session() as session:
        version = DatasetVersion(name=f"eval-{new_id()[:6]}", version=1, built_day="2026-11-28", item_count=1,
                                 lineage_digest="0" * 64)
        session.add(version)
        session.flush()
        item = DatasetItem(version_id=version.id, task_id=task_id, language="en", intent="HassGetWeather",
                           content_ct=seal_for_task(task_key, task_id, "dataset-item",
                                                    b'{"transcript": "corrected text"}'))
        session.add(item)
        session.flush()
        return version.id, task_id


def task_kinds(store: Store, task_id: str) -> list[str]:
    """Every kind of ciphertext sealed with this task's key (taken before a deletion)."""
    with store.session() as session:
        notes = session.execute(select(Annotation.id).where(Annotation.task_id == task_id)).scalars().all()
    return ["audio", "content", "dataset-item", *(f"annotation:{n}" for n in notes)]


def decryptable_with_task_key(task_key: bytes, task_id: str, kinds: list[str],
                              values: list[tuple[str, bytes]]) -> list[str]:
    """Stored values that still open with a (leaked) task key: prepared clip, content, annotations, items."""
    from ecoute.store.taskseal import open_for_task

    hits = []
    for where, value in values:
        for kind in kinds:
            try:
                open_for_task(task_key, task_id, kind, value)
            except crypto.DecryptionError:
                continue
            hits.append(f"{where} ({kind})")
    return hits


def download_prepared(store: Store, request_id: str, owner_id: str, dest: Path) -> Path:
    """Take a prepared (sealed) export the way the download route does: decrypted while read.

    Reading it to the end is a complete download: the sealed archive is deleted after."""
    from ecoute.privacy.export import open_prepared

    _size, chunks = open_prepared(store, request_id, owner_id)
    with open(dest, "wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
    return dest
