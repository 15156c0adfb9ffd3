"""Timers, on APScheduler 3, driven by the injected clock.

Every job here is a one-shot "run this coroutine at that moment"; anything recurring computes its next moment in
the domain and schedules itself again. The database is the source of truth: jobs are rebuilt from it at start.

APScheduler 3 reads `datetime.now()` itself and sleeps on the event loop, so with a `ManualClock` the scheduler
is started paused and `advance()` moves the clock from one due job to the next, running each at its own moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.clock import Clock, ManualClock
from bot.errors import reference_code

log = logging.getLogger(__name__)

JobFunc = Callable[..., Awaitable[Any]]


# A job that has fired waits here until it re-arms itself (a cheap `modify_job`); `_run` removes it if it does not.
PARKED = datetime(9999, 1, 1, tzinfo=UTC)


class _Moment(BaseTrigger):
    """A one-shot trigger whose job is parked after firing, instead of deleted.

    Its moment is the `next_run_time` given when the job is added or moved.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        return PARKED

    def __str__(self) -> str:
        return "moment"


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.manual = isinstance(clock, ManualClock)
        # Late runs are decided by the jobs themselves (from the database), so APScheduler never drops one.
        # The job store keeps jobs sorted by run time; `advance` reads the next one from it directly.
        self._store = MemoryJobStore()
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            jobstores={"default": self._store},
            # More than one instance: a job that re-arms itself for a moment that comes while it is still running
            # (slow Discord) must run then, not be skipped and dropped. Jobs serialise on their own locks.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 4},
        )
        self._running: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        if not self._aps.running:
            self._aps.start(paused=self.manual)

    async def shutdown(self) -> None:
        """Stop taking new work, then wait for jobs that are running."""
        if self._aps.running:
            self._aps.shutdown(wait=False)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def schedule(self, job_id: str, when: datetime, func: JobFunc, *args: Any) -> None:
        """Run `func(*args)` at `when` (replacing any job with the same id)."""
        if when.tzinfo is None:
            raise ValueError("jobs are scheduled at timezone-aware moments")
        run_args = (job_id, func, *args)
        known = self._store.lookup_job(job_id)
        if known is not None and known.args == run_args:
            # Re-arming the same timer (every turn change does) only moves its moment: far cheaper than a new job.
            self._aps.modify_job(job_id, next_run_time=when)
            return
        self._aps.add_job(
            self._run,
            trigger=_Moment(),
            args=run_args,
            id=job_id,
            replace_existing=True,
            next_run_time=when,
        )

    def cancel(self, job_id: str) -> None:
        job = self._aps.get_job(job_id)
        if job is not None:
            job.remove()

    def when(self, job_id: str) -> datetime | None:
        job = self._aps.get_job(job_id)
        return job.next_run_time if job is not None else None

    def job_ids(self) -> list[str]:
        return [job.id for job in self._aps.get_jobs()]

    async def _run(self, job_id: str, func: JobFunc, *args: Any) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await func(*args)
        except Exception:
            code = reference_code()
            log.exception("scheduled job %s failed (reference %s)", job_id, code)
        finally:
            if task is not None:
                self._running.discard(task)
            job = self._store.lookup_job(job_id)
            if job is not None and job.next_run_time == PARKED:
                job.remove()

    async def advance(self, seconds: float) -> None:
        """Move a manual clock forward, running every job that comes due, each at its own moment."""
        if not isinstance(self.clock, ManualClock):
            raise RuntimeError("advance() needs a ManualClock")
        target = self.clock.now() + timedelta(seconds=seconds)
        while True:
            next_time = self._store.get_next_run_time()
            if next_time is None or next_time > target:
                break
            # Sorted by run time, then id: the first is the one to run now.
            job = self._store.get_due_jobs(next_time)[0]
            self.clock.set(max(self.clock.now(), next_time))
            # As APScheduler does when a job fires: park it, so the job can re-arm itself cheaply.
            self._aps.modify_job(job.id, next_run_time=PARKED)
            await job.func(*job.args)
            # Let the tasks the job started (Discord calls) run before the next moment.
            for _ in range(3):
                await asyncio.sleep(0)
        self.clock.set(target)

    async def run_due(self) -> None:
        """Run jobs already due on a manual clock without moving it."""
        await self.advance(0)
