"""Defences of the HTTP server against hostile clients: deadlines, upload caps, safe start-up.

:func:`install` wires them into an app (called by ``create_app``); :func:`uvicorn_config`
builds the uvicorn configuration that adds the header deadline (``ecoute serve`` uses it).
"""

from __future__ import annotations

from fastapi import FastAPI

from ecoute.config import Settings
from ecoute.server.security.deadlines import BodyDeadline, uvicorn_config
from ecoute.server.security.upload_slots import UploadSlots


def install(app: FastAPI, settings: Settings) -> None:
    """Body deadline on every request; per-device upload slots for the turn route."""
    app.add_middleware(BodyDeadline, seconds=settings.server.request_body_timeout_s)
    app.state.upload_slots = UploadSlots(settings.server.max_uploads_per_device)


__all__ = ["BodyDeadline", "UploadSlots", "install", "uvicorn_config"]
