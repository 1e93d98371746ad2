"""Staff accounts of the review side: reviewers and leads, attached to a site and languages.

Staff are never owners (a separate table and a separate cookie), and nothing in a staff
row can reach an owner: the link between them exists only as audited key-broker calls.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoute.config import Settings
from ecoute.errors import BadInput
from ecoute.store.identity import normalise_email, seal_staff_identity, staff_email_hash
from ecoute.store.keys import KeyProvider
from ecoute.store.passwords import hash_password
from ecoute.store.schema.base import new_id
from ecoute.store.schema.review import Staff

ROLES = ("reviewer", "lead", "officer", "ml")
_LANG = re.compile(r"^[a-z]{2,3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_languages(spec: str) -> list[str]:
    langs = [part.strip().lower() for part in spec.split(",") if part.strip()]
    bad = [lang for lang in langs if not _LANG.match(lang)]
    if bad:
        raise BadInput(f"not a language code: {', '.join(bad)} (use e.g. en,fr)")
    return sorted(set(langs), key=langs.index)


def create_staff(
    session: Session,
    settings: Settings,
    keys: KeyProvider,
    *,
    email: str,
    display_name: str,
    password: str,
    role: str,
    site: str = "",
    country: str = "",
    languages: str = "",
    daily_cap: int | None = None,
) -> Staff:
    """Validate everything first, so a bad argument creates nothing."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise BadInput(f"not an email address: {email!r}")
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    country = country.strip().upper()
    if country and not _COUNTRY.match(country):
        raise BadInput(f"a country is a two-letter code like FR, not {country!r}")
    langs = parse_languages(languages)
    if role in ("reviewer", "lead") and (not langs or not site or not country):
        raise BadInput("reviewers and leads need --site, --country and --languages")
    if daily_cap is not None and daily_cap < 1:
        raise BadInput("a daily cap is at least 1")
    if find_staff_by_email(session, keys, email) is not None:
        raise BadInput(f"a staff account {email} already exists")
    try:
        hashed = hash_password(settings, password)
    except ValueError as err:
        raise BadInput(str(err)) from None
    staff = Staff(
        id=new_id(),
        password_hash=hashed,
        role=role,
        site=site.strip(),
        site_country=country,
        languages=",".join(langs),
        daily_cap=daily_cap,
        paused=False,
    )
    seal_staff_identity(keys, staff, email=email, display_name=display_name.strip() or email.split("@")[0])
    session.add(staff)
    session.flush()
    return staff


def find_staff_by_email(session: Session, keys: KeyProvider, email: str) -> Staff | None:
    """Staff login lookup by the keyed hash of the normalised email."""
    return session.execute(select(Staff).where(Staff.email_hash == staff_email_hash(keys, email))).scalar_one_or_none()
