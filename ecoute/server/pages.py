"""Jinja2 templates shared by every page (``ecoute/server/templates``; ``base.html`` is the frame).

Other areas' pages may render through :data:`templates` and extend ``base.html`` so the
whole site has one look, one navigation and one small stylesheet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).resolve().parent.parent / "server" / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES))
