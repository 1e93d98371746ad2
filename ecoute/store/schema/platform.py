"""Platform tables that are not content: pending device pairings.

A device that wants to join a household first gets a pending pairing (a short code it
shows on its display, and an unguessable pairing id it keeps to itself). An owner types
the code on the privacy page, which creates the device in the owner's household; the
device then exchanges its pairing id for a token, once. Only hashes are stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecoute.store.schema.base import Base, UTCDateTime, utcnow


class DevicePairing(Base):
    __tablename__ = "device_pairings"
    #: sha256 of the pairing id the device keeps secret (the id itself is never stored).
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: sha256 of the normalised short code shown on the device.
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when an owner claimed the code: the device row created in their household.
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    #: Wrong codes entered (by any owner) while this pairing waited; too many lock it (issue 12).
    failed_claims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


__all__ = ["DevicePairing"]
