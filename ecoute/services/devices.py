"""Device pairing: a short code on the device, typed by an owner, exchanged once for a token.

1. The device asks for a pairing (``start_pairing``): it gets a pairing id, which it keeps
   secret, and a short code, which it shows (display or spoken).
2. An owner types the code on their privacy page (``claim_pairing``): the device is created
   in that owner's household, with that owner selected as the one speaking.
3. The device polls with its pairing id (``exchange_pairing``) and receives its token,
   exactly once; only the token's hash is stored.

The code alone is not enough to obtain a token (the pairing id is), and the pairing id
alone is not enough either (an owner must claim the code): someone reading the code off
the display cannot take over the device.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecoute.errors import BadInput, NotFound
from ecoute.store.schema.base import new_id, utcnow
from ecoute.store.schema.owner import Device, Owner
from ecoute.store.schema.platform import DevicePairing
from ecoute.store.tokens import token_hash

#: No 0/O, 1/I/L: codes are read off a small display and typed by people.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
PAIRING_MINUTES = 10


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass
class PendingPairing:
    pairing_id: str
    code: str
    expires_in_s: int


def start_pairing(session: Session, name: str) -> PendingPairing:
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("a device name of 1 to 100 characters is needed")
    now = utcnow()
    session.execute(delete(DevicePairing).where(DevicePairing.expires_at < now))
    pairing_id = secrets.token_urlsafe(24)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(DevicePairing(id_hash=token_hash(pairing_id), code_hash=token_hash(code), name=name, created_at=now,
                              expires_at=now + timedelta(minutes=PAIRING_MINUTES)))
    session.flush()
    return PendingPairing(pairing_id, code, PAIRING_MINUTES * 60)


def claim_pairing(session: Session, owner: Owner, code: str) -> Device:
    """An owner enters the code shown on a device: the device joins the owner's household."""
    wanted = normalise_code(code)
    if len(wanted) != CODE_LENGTH:
        raise BadInput(f"a pairing code has {CODE_LENGTH} letters and digits")
    pairing = session.execute(
        select(DevicePairing).where(DevicePairing.code_hash == token_hash(wanted), DevicePairing.device_id.is_(None),
                                    DevicePairing.expires_at >= utcnow())
    ).scalars().first()
    if pairing is None:
        raise NotFound("no device is waiting with this code (it may have expired: start pairing again)")
    device = Device(id=new_id(), household_id=owner.household_id, name=pairing.name, selected_owner_id=owner.id)
    session.add(device)
    session.flush()
    pairing.device_id = device.id
    session.flush()
    return device


@dataclass
class ExchangeResult:
    status: str  # waiting | paired
    device_id: str | None = None
    token: str | None = None


def exchange_pairing(session: Session, pairing_id: str) -> ExchangeResult:
    """The device polls with its pairing id; once claimed it gets its token, once."""
    pairing = session.get(DevicePairing, token_hash(pairing_id))
    if pairing is None:
        raise NotFound("unknown pairing (already used, or never started)")
    if pairing.device_id is None:
        if pairing.expires_at < utcnow():
            session.delete(pairing)
            raise NotFound("this pairing expired before an owner entered its code: start again")
        return ExchangeResult("waiting")
    device = session.get(Device, pairing.device_id)
    token = issue_token(device)
    session.delete(pairing)
    session.flush()
    return ExchangeResult("paired", device.id, token)


def issue_token(device: Device) -> str:
    """A fresh bearer token for a device; any previous one stops working."""
    token = "dev_" + secrets.token_urlsafe(32)
    device.token_hash = token_hash(token)
    return token


def household_device(session: Session, owner: Owner, device_id: str) -> Device:
    """A device of the owner's household, or NotFound (never another household's)."""
    device = session.get(Device, device_id)
    if device is None or device.household_id != owner.household_id:
        raise NotFound("no such device in your household")
    return device
