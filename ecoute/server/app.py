"""The HTTP application: API for devices, pages for owners, reviewers, leads and officers.

Each audience has its own router module; this file only assembles them, so the server
grows by adding a module to :data:`ROUTER_MODULES`, not by editing handlers here.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from ecoute.config import Settings
from ecoute.server import documented_errors, security
from ecoute.server.errors import install_error_handlers
from ecoute.server.lifecycle import attach_background
from ecoute.server.security import csrf
from ecoute.services.wiring import wire_hooks
from ecoute.store.store import Store

STATIC = Path(__file__).with_name("static")

#: One module per audience/concern; each exposes ``router`` (a fastapi.APIRouter).
ROUTER_MODULES = (
    "ecoute.server.routes.devices",  # device pairing and turns (platform)
    "ecoute.server.routes.owner",  # owner login, privacy page, recordings (platform)
    "ecoute.server.routes.review",  # reviewer workstation and lead pages (review pipeline)
    "ecoute.server.routes.rights",  # export, erasure, officer's requests page (owners' rights)
    "ecoute.server.routes.improve",  # datasets, evaluation plots (learning loop)
    "ecoute.server.routes.account",  # an owner changes their password (hardening)
)


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    wire_hooks()  # deletion and erasure purge review tasks and dataset items through these
    store = store or Store.open(settings)
    app = FastAPI(title="écoute", version="0.1.0", dependencies=[Depends(csrf.protect)],
                  **security.docs_options(settings))
    app.state.settings = settings
    app.state.store = store
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in ROUTER_MODULES:
        app.include_router(import_module(name).router, responses=documented_errors.responses_for(name))
    install_error_handlers(app)  # LoginRequired → /login redirect or 401; EcouteError → 4xx
    security.install(app, settings)  # headers, CSRF, throttles, body deadline (408), upload slots (429)
    attach_background(app)  # orphan-blob clean-up and the job runner, with the server's lifespan
    return app
