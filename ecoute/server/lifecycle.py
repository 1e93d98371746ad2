"""What the server does when it starts and stops, besides serving.

On start: make the data directory private (0700/0600), remove temporary files of
interrupted blob writes, remove blobs an interrupted ingest left behind (before any turn is accepted),
then start the job runner, which resumes unfinished work from the database. On stop:
stop the runner. Attached to the app's lifespan so uvicorn, tests and ``ecoute serve``
all get the same behaviour.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ecoute.jobs import get_runner
from ecoute.services.ingest import AnswerAudioCache, remove_orphan_blobs
from ecoute.store.blobs import sweep_temporary_blobs
from ecoute.store.permissions import secure_data_dir

log = logging.getLogger(__name__)


def attach_background(app: FastAPI) -> None:
    store = app.state.store
    app.state.answers = AnswerAudioCache()
    app.state.jobs = get_runner(store)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI):
        secure_data_dir(store.settings.store.data_dir)  # 0700/0600, fixed if an older install left it open
        sweep_temporary_blobs(store.blobs)  # .tmp-* of a blob write killed mid-way
        remove_orphan_blobs(store)
        app.state.jobs.start()
        try:
            async with previous(application) as state:
                yield state
        finally:
            app.state.jobs.stop()

    app.router.lifespan_context = lifespan
