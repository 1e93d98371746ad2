"""Routes of this area (see ecoute/server/app.py)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
