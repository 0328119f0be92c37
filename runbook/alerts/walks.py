"""The background walks: each claimed alert incident walked on autopilot, a few at a time.

One thread runs an event loop with ``concurrency`` workers taking incidents from a queue, so a
burst of alert groups is queued, never dropped, and never runs more checks at once than the
machine and the targets should bear. Each walk is the autopilot a responder would run: every
step and result is recorded by the walk engine, the checks keep their own deadlines, and the
walk stops where a person is needed; where and why is written on the timeline.

Stopping (SIGTERM) lets running walks finish for a grace period; a walk still running then is
cancelled between recorded writes, and it and any walk still queued go back to ``pending`` in
the record, where the next receiver to start resumes it (a walk resumes from the record).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runbook.record.models import AlertWalkState
    from runbook.services import Services

DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class WalkJob:
    """An incident whose walk this receiver claimed."""

    group_id: int
    incident_id: int
    start_ref: str


@dataclass(frozen=True)
class WalkDone:
    """How one walk ended (for the log and the tests)."""

    job: WalkJob
    state: AlertWalkState
    stop: str


class WalkQueue:
    """Walks claimed alert incidents in the background with bounded concurrency."""

    def __init__(
        self,
        services: Services,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_done: Callable[[WalkDone], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.services = services
        self.concurrency = concurrency
        self.on_done = on_done or (lambda done: None)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[WalkJob] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._closing: asyncio.Event | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._submitted = 0
        self._finished = 0
        self._handed_back = 0
        self._idle = threading.Condition(self._lock)

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> WalkQueue:
        self._thread = threading.Thread(target=self._run, name="runbook-alert-walks", daemon=True)
        self._thread.start()
        self._ready.wait()
        return self

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._closing = asyncio.Event()
        workers = [asyncio.create_task(self._worker()) for _ in range(self.concurrency)]
        self._ready.set()
        await self._closing.wait()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    def submit(self, job: WalkJob) -> None:
        """Queue a claimed walk (from any thread)."""
        if self._loop is None or self._queue is None:
            raise RuntimeError("the walk queue is not started")
        with self._lock:
            self._submitted += 1
        self._loop.call_soon_threadsafe(self._queue.put_nowait, job)

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until every submitted walk has ended (tests and the benchmark)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._finished >= self._submitted, timeout=timeout_s)

    def stop(self, drain_s: float = 20.0) -> int:
        """Let running walks finish for ``drain_s``, then hand the rest back; returns how many
        walks were handed back to ``pending``."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return 0
        future = asyncio.run_coroutine_threadsafe(self._drain(drain_s), loop)
        handed_back = future.result()
        thread.join(timeout=10)
        return handed_back

    async def _drain(self, drain_s: float) -> int:
        assert self._queue is not None and self._closing is not None
        queued: list[WalkJob] = []
        while not self._queue.empty():
            queued.append(self._queue.get_nowait())
        running = set(self._running)
        if running:
            _done, pending = await asyncio.wait(running, timeout=drain_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=10)
        for job in queued:
            self._hand_back(job)
        self._closing.set()
        return self._handed_back

    # -- walking -----------------------------------------------------------------------------

    async def _worker(self) -> None:
        assert self._queue is not None and self._closing is not None
        while not self._closing.is_set():
            job = await self._queue.get()
            task = asyncio.create_task(self._walk(job))
            self._running.add(task)
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                raise
            finally:
                self._running.discard(task)

    async def _walk(self, job: WalkJob) -> None:
        done: WalkDone | None = None
        try:
            done = await self._walk_once(job)
        except asyncio.CancelledError:
            self._hand_back(job)
            raise
        finally:
            with self._idle:
                self._finished += 1
                self._idle.notify_all()
            if done is not None:
                self.on_done(done)

    async def _walk_once(self, job: WalkJob) -> WalkDone:
        from runbook.record import alerts as record_alerts
        from runbook.record import repo
        from runbook.record.models import AlertWalkState, EventKind
        from runbook.walk.autopilot import autopilot
        from runbook.walk.variables import MissingVariables

        engine = self.services.walk_engine(job.incident_id)
        try:
            if engine.node is None:
                engine.enter(job.start_ref, automatic=True, label="alert routed here")
            try:
                stop = await autopilot(engine)
                state = AlertWalkState.STOPPED
                text = f"autopilot stopped: {stop.reason.value} at {stop.ref}: {stop.detail}"
                data: dict[str, Any] = {
                    "reason": stop.reason.value,
                    "ref": stop.ref,
                    "detail": stop.detail,
                    "moves": stop.moves,
                }
            except MissingVariables as exc:
                state = AlertWalkState.STOPPED
                names = ", ".join(v.name for v in exc.needed)
                text = f"autopilot stopped at {engine.ref}: variables needed: {names}"
                data = {"reason": "variables", "ref": engine.ref or "", "needed": [v.name for v in exc.needed]}
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a walk that breaks must not take the receiver with it
                state = AlertWalkState.FAILED
                text = f"autopilot failed at {engine.ref}: {type(exc).__name__}: {exc}"
                data = {"reason": "error", "ref": engine.ref or "", "error": str(exc)}
            repo.add_event(
                job.incident_id,
                EventKind.NOTE.value,
                session=engine.session,
                summary=text,
                payload={"autopilot": data},
                automatic=True,
                author=self.services.settings.author,
                uid=record_alerts.event_uid("autopilot", job.incident_id, job.group_id, engine.ref),
            )
            record_alerts.finish_walk(job.group_id, state, text, session=engine.session)
            return WalkDone(job, state, text)
        finally:
            engine.session.close()

    def _hand_back(self, job: WalkJob) -> None:
        from runbook.record import alerts as record_alerts
        from runbook.record.models import AlertWalkState

        with self.services.session() as session:
            record_alerts.finish_walk(job.group_id, AlertWalkState.PENDING, "", session=session)
        self._handed_back += 1


def resume_pending(services: Services, queue: WalkQueue, owner: str) -> int:
    """Claim and queue the walks a stopped receiver handed back; returns how many."""
    from runbook.record import alerts as record_alerts

    count = 0
    with services.session() as session:
        for group in record_alerts.pending_walks(session=session):
            assert group.id is not None
            if record_alerts.claim_walk(group.id, group.incident_id, owner, session=session):
                queue.submit(WalkJob(group.id, group.incident_id, group.playbook_ref))
                count += 1
    return count
