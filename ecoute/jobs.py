"""Background stages and how they run.

A stage is a plain function ``fn(store: Store, **kwargs) -> dict`` named in
:data:`STAGES` by a dotted path, so a stage's module (review sampling, retention,
erasure, export) is imported only when a job of it runs.

Two runners behind one protocol, chosen by ``settings.job_runner`` from the registry
(:mod:`ecoute.plugins`, family ``jobs``). A runner serves one opened store, so the
registry's engine here is a :class:`RunnerMaker` (``store -> runner``), built from settings
like every other engine:

- ``inline`` (default, embedded): one worker thread in the server process. Work is never
  only in memory: each stage's input is DB state, and :meth:`InlineJobRunner.start`
  re-enqueues what a crash left undone (turns not yet considered for review, erasures
  and exports not finished), so nothing acknowledged is lost.
- ``procrastinate`` (production, PostgreSQL): jobs deferred to procrastinate's queue and
  run by any number of workers. Imported lazily; it is not exercised by the test suite here.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ecoute import plugins
from ecoute.config import Settings
from ecoute.plugins import Family
from ecoute.review.tasks import prepare_pending
from ecoute.services.wiring import wire_hooks
from ecoute.store.schema.owner import DataSubjectRequest, Turn

log = logging.getLogger(__name__)

#: Stage name → "module:function". Each function is ``fn(store, **kwargs) -> dict``.
STAGES: dict[str, str] = {
    "sample_turn": "ecoute.review.sampling:consider_turn",
    "review_prepare": "ecoute.review.tasks:prepare_sample",
    "retention_sweep": "ecoute.privacy.retention:sweep",
    "erasure": "ecoute.privacy.erasure:run_erasure",
    "export": "ecoute.privacy.export:run_export",
    "rebuild_stale_datasets": "ecoute.improve.datasets:rebuild_stale",
}

#: Housekeeping run at start and then every ``retention_sweep_interval_s``: retention, and
#: the automatic rebuild of datasets that deletions or erasures made stale.
PERIODIC_STAGES = ("retention_sweep", "rebuild_stale_datasets")


class StageUnavailable(LookupError):
    """The module that owns this stage is not installed (yet)."""


def resolve(stage: str) -> Callable[..., dict]:
    try:
        target = STAGES[stage]
    except KeyError:
        raise KeyError(f"unknown stage {stage!r}; known: {', '.join(sorted(STAGES))}") from None
    module_name, _, func = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            raise StageUnavailable(f"{target} is not available: {err}") from None
        raise
    try:
        return getattr(module, func)
    except AttributeError:
        raise StageUnavailable(f"{target} is not available: no {func} in {module_name}") from None


def run_stage(store, stage: str, **kwargs: Any) -> dict:
    """Run one stage now, in the calling thread (what every runner ends up doing)."""
    wire_hooks()  # a worker process may start here rather than in the server
    return resolve(stage)(store, **kwargs) or {}


@runtime_checkable
class JobRunner(Protocol):
    def enqueue(self, stage: str, **kwargs: Any) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def wait_idle(self, timeout: float = 30.0) -> bool: ...


class InlineJobRunner:
    """A worker thread with a queue, plus a timer for the periodic retention sweep."""

    def __init__(self, store, *, sweep_interval_s: float | None = None):
        self.store = store
        self.sweep_interval_s = (store.settings.jobs.retention_sweep_interval_s
                                 if sweep_interval_s is None else sweep_interval_s)
        self._queue: queue.Queue[tuple[str, dict] | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._pending = 0
        self._lock = threading.Condition()
        #: stage → count of runs that raised (kept for the operator and the tests).
        self.failures: dict[str, int] = {}
        self.completed: dict[str, int] = {}

    # -- the protocol -----------------------------------------------------------------
    def enqueue(self, stage: str, **kwargs: Any) -> None:
        if stage not in STAGES:
            raise KeyError(f"unknown stage {stage!r}")
        with self._lock:
            self._pending += 1
        self._queue.put((stage, kwargs))

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._work, name="ecoute-jobs", daemon=True)
        self._thread.start()
        self.resume()
        if self.sweep_interval_s and self.sweep_interval_s > 0:
            self._enqueue_periodic()  # a server that was down past a deadline catches up now
        if self.sweep_interval_s and self.sweep_interval_s > 0:
            self._ticker = threading.Thread(target=self._tick, name="ecoute-sweep", daemon=True)
            self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(None)
        for thread in (self._thread, self._ticker):
            if thread is not None:
                thread.join(timeout=10)
        self._thread = self._ticker = None

    def wait_idle(self, timeout: float = 30.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self._pending == 0, timeout=timeout)

    # -- resuming from DB state ----------------------------------------------------------
    def resume(self) -> int:
        """Re-enqueue the work a previous process left undone; returns how many jobs."""
        from sqlalchemy import select

        count = 0
        with self.store.session() as session:
            turn_ids = session.execute(select(Turn.id).where(
                Turn.review_considered.is_(False), Turn.false_activation.is_(False))
                .order_by(Turn.created_at)).scalars().all()
            requests = session.execute(select(DataSubjectRequest.id, DataSubjectRequest.kind).where(
                DataSubjectRequest.status.in_(("pending", "running")))).all()
        if turn_ids and _available("sample_turn"):
            for turn_id in turn_ids:
                self.enqueue("sample_turn", turn_id=turn_id)
                count += 1
        if _available("review_prepare"):  # samples whose preparation a crash interrupted
            for sample_id in prepare_pending(self.store):
                self.enqueue("review_prepare", sample_id=sample_id)
                count += 1
        for request_id, kind in requests:
            if kind in ("erasure", "export") and _available(kind):
                self.enqueue(kind, request_id=request_id)
                count += 1
        return count

    # -- threads -------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            stage, kwargs = item
            try:
                run_stage(self.store, stage, **kwargs)
                self.completed[stage] = self.completed.get(stage, 0) + 1
            except StageUnavailable as err:
                log.info("skipped %s: %s", stage, err)
            except Exception:  # a failed job must not stop the worker; its DB state lets it resume
                self.failures[stage] = self.failures.get(stage, 0) + 1
                log.exception("background stage %s failed (%s)", stage, kwargs)
            finally:
                with self._lock:
                    self._pending -= 1
                    self._lock.notify_all()

    def _tick(self) -> None:
        while not self._stop.wait(self.sweep_interval_s):
            self._enqueue_periodic()

    def _enqueue_periodic(self) -> None:
        for stage in PERIODIC_STAGES:
            if _available(stage):
                self.enqueue(stage)


def _available(stage: str) -> bool:
    try:
        resolve(stage)
        return True
    except StageUnavailable:
        return False


class ProcrastinateJobRunner:
    """Production runner: stages deferred to procrastinate on PostgreSQL (untested here).

    Each stage becomes a procrastinate task named after it; workers run ``run_stage`` with
    a store opened from the same settings. Periodic sweeps belong to procrastinate's
    ``periodic`` decorator in the worker process.
    """

    def __init__(self, store):
        import procrastinate

        self.store = store
        url = store.settings.store.db_url.replace("postgresql+psycopg://", "postgresql://")
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
        self._tasks = {name: self.app.task(name=name)(self._runner(name)) for name in STAGES}

    def _runner(self, stage: str) -> Callable[..., dict]:
        def task(**kwargs: Any) -> dict:
            return run_stage(self.store, stage, **kwargs)

        return task

    def enqueue(self, stage: str, **kwargs: Any) -> None:
        with self.app.open():
            self._tasks[stage].defer(**kwargs)

    def start(self) -> None:  # workers run elsewhere: `procrastinate worker`
        pass

    def stop(self) -> None:
        pass

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return True


@runtime_checkable
class RunnerMaker(Protocol):
    """What the jobs family's factories return: the runner for one opened store."""

    def __call__(self, store: Any) -> JobRunner: ...


@plugins.declare(plugins.ANY_LANGUAGE)
def inline(settings: Settings) -> RunnerMaker:
    return InlineJobRunner


@plugins.declare(plugins.ANY_LANGUAGE)
def procrastinate(settings: Settings) -> RunnerMaker:
    return ProcrastinateJobRunner


def get_runner(store, settings: Settings | None = None) -> JobRunner:
    maker = plugins.create(Family.JOBS, settings or store.settings)
    if not isinstance(maker, RunnerMaker):
        raise plugins.wrong_engine(Family.JOBS, maker, RunnerMaker)
    return maker(store)
