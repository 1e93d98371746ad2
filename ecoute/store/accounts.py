"""Households, owners and devices: creating them with their keys in one transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.store.identity import owner_email_hash, seal_owner_identity
from ecoute.store.keys import KeyProvider
from ecoute.store.passwords import hash_password
from ecoute.store.schema.base import new_id
from ecoute.store.schema.owner import Household, Owner
from ecoute.store.vault import Vault


def create_household(session: Session, name: str) -> Household:
    household = Household(id=new_id(), name=name)
    session.add(household)
    session.flush()
    return household


def create_owner(
    session: Session,
    vault: Vault,
    settings: Settings,
    household: Household,
    *,
    display_name: str,
    email: str | None = None,
    password: str | None = None,
    language: str = "en",
    is_child: bool = False,
) -> Owner:
    """An owner gets their own data key at creation; review consent starts off (no row).

    Their email and name are sealed with that key (``store/identity.py``)."""
    owner = Owner(
        id=new_id(),
        household_id=household.id,
        password_hash=hash_password(settings, password) if password else None,
        language=language,
        is_child=is_child,
    )
    vault.create_owner_key(owner)
    seal_owner_identity(vault, owner, email=email, display_name=display_name)
    session.add(owner)
    session.flush()
    return owner


def find_owner_by_email(session: Session, keys: KeyProvider, email: str) -> Owner | None:
    """Login lookup: by the keyed hash of the normalised email, never by the email itself."""
    return session.execute(
        select(Owner).where(Owner.email_hash == owner_email_hash(keys, email))
    ).scalar_one_or_none()
