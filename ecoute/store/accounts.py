"""Households, owners and devices: creating them with their keys in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecoute.config import Settings
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
    """An owner gets their own data key at creation; review consent starts off (no row)."""
    owner = Owner(
        id=new_id(),
        household_id=household.id,
        email=email.lower() if email else None,
        display_name=display_name,
        password_hash=hash_password(settings, password, (email or "", display_name)) if password else None,
        language=language,
        is_child=is_child,
    )
    vault.create_owner_key(owner)
    session.add(owner)
    session.flush()
    return owner
