"""Operator actions on households, owners and devices (used by the CLI and the demo)."""

from __future__ import annotations

from dataclasses import dataclass

from ecoute.errors import BadInput, NotFound
from ecoute.services.devices import issue_token
from ecoute.store.accounts import create_household, create_owner, find_owner_by_email
from ecoute.store.schema.base import new_id
from ecoute.store.schema.owner import Device, Household, Owner
from ecoute.store.store import Store


def add_household(store: Store, name: str) -> str:
    if not name.strip():
        raise BadInput("a household needs a name")
    with store.session() as session:
        return create_household(session, name.strip()).id


def add_owner(store: Store, household_id: str, *, name: str, email: str | None, password: str | None,
              language: str = "en") -> str:
    if language not in ("en", "fr", "de"):
        raise BadInput("language must be en, fr or de")
    with store.vault_session() as (session, vault):
        household = session.get(Household, household_id)
        if household is None:
            raise NotFound(f"no household {household_id}")
        if email and find_owner_by_email(session, vault.keys, email) is not None:
            raise BadInput(f"an owner with the email {email} already exists")
        try:
            owner = create_owner(session, vault, store.settings, household, display_name=name, email=email,
                                 password=password, language=language)
        except ValueError as err:  # e.g. a password that is too short
            raise BadInput(str(err)) from None
        return owner.id


@dataclass
class NewDevice:
    id: str
    token: str


def add_device(store: Store, household_id: str, name: str, owner_id: str | None = None) -> NewDevice:
    """A device registered by the operator (instead of pairing): prints its token once."""
    with store.session() as session:
        if session.get(Household, household_id) is None:
            raise NotFound(f"no household {household_id}")
        if owner_id is not None:
            owner = session.get(Owner, owner_id)
            if owner is None or owner.household_id != household_id:
                raise NotFound(f"no owner {owner_id} in that household")
        device = Device(id=new_id(), household_id=household_id, name=name, selected_owner_id=owner_id)
        token = issue_token(device)
        session.add(device)
        return NewDevice(device.id, token)
