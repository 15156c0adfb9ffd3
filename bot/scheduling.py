"""Timers, on APScheduler 3, driven by the injected clock.

Every job here is a one-shot "run this coroutine at that moment"; anything recurring computes its next moment in
the domain and schedules itself again. The database is the source of truth: jobs are rebuilt from it at start.

APScheduler 3 reads `datetime.now()` itself and sleeps on the event loop, so with a `ManualClock` the scheduler
is started paused and `advance()` moves the clock from one due job to the next, running each at its own moment.

Stopping (`shutdown`, which `CircleBot.close` calls first, while Discord is still connected): no timer fires any
more, and what is under way (running jobs, discord.py's handlers, the bot's own background work such as a batch of
reminder DMs) gets a bounded time to finish. Whatever is still running then is cancelled and left to the restore at
the next start, which rebuilds every job from the database. APScheduler's own shutdown would cancel running
jobs at once (its asyncio executor cannot wait), so it comes last.
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


SHUTDOWN_GRACE_SECONDS = 8.0
"""How long a stop waits for work under way: a turn change is a few REST calls, a reminder DM one a second.
Below the 10 s Docker gives between SIGTERM and SIGKILL; `compose.yaml` and the systemd unit allow 30 s."""
CANCEL_WAIT_SECONDS = 1.0
"""After the grace, how long cancelled work gets to unwind (roll back a transaction) before Discord closes: with the
grace, a stop is done within Docker's 10 s even when work had to be cut off."""
FEATURES = (
    "errors",
    "admin",
    "circles",
    "prompts",
    "guidelines",
    "crisis",
    "onboarding",
    "streaks",
    "privacy",
    "messages",
)
"""The extensions under `cogs/`: a task one of them starts for work of its own is named "<feature>: what it does"
("circles: series reminders"), so that a clean stop lets it finish (a test keeps this list in step with the bot's)."""
WORK_TASK_PREFIXES = (
    # The names discord.py gives the tasks it runs handlers in (listeners, slash commands, buttons, modals).
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord-ui-modal",
    "discord-ui-dynamic-item-",
    *(f"{feature}: " for feature in FEATURES),
)
"""Tasks a clean stop lets finish, by name (discord.py's names are the most version-fragile part: keep them here)."""

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
        self._stopped: asyncio.Future[None] | None = None
        self._hurry = asyncio.Event()

    def start(self) -> None:
        if not self._aps.running:
            self._aps.start(paused=self.manual)

    @property
    def stopping(self) -> bool:
        """Whether a stop has begun: no timer fires any more."""
        return self._stopped is not None

    def hurry(self) -> None:
        """Stop waiting for work under way (a second SIGINT or SIGTERM): cut it off now."""
        self._hurry.set()

    async def shutdown(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop cleanly: no timer fires any more, work under way gets `grace` seconds, the rest is cancelled.

        Safe to call more than once, also concurrently: every caller returns once the stop is done.
        """
        if self._stopped is not None:
            await asyncio.shield(self._stopped)
            return
        self._stopped = asyncio.get_running_loop().create_future()
        try:
            if self._aps.running:
                # Paused, APScheduler submits nothing more; the job tasks it already started run on.
                self._aps.pause()
            await self._finish_work(grace, asyncio.current_task())
            if self._aps.running:
                self._aps.shutdown(wait=False)
        finally:
            self._stopped.set_result(None)

    def _under_way(self, caller: asyncio.Task[Any] | None) -> set[asyncio.Task[Any]]:
        work = {t for t in asyncio.all_tasks() if not t.done() and t.get_name().startswith(WORK_TASK_PREFIXES)}
        work |= {t for t in self._running if not t.done()}
        work.discard(caller)  # a handler that closes the bot must not wait for itself
        return work

    async def _finish_work(self, grace: float, caller: asyncio.Task[Any] | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        announced = False
        quiet = 0
        # Work may start follow-up work (a job dispatches an event, a reminder batch is spawned), and a job task
        # APScheduler created just before the pause starts at the next turn of the loop: look until it is quiet.
        while quiet < 3:
            pending = self._under_way(caller)
            if not pending:
                quiet += 1
                await asyncio.sleep(0)
                continue
            quiet = 0
            remaining = deadline - loop.time()
            if remaining <= 0 or self._hurry.is_set():
                break
            if not announced:
                log.info("stopping: waiting up to %.0f s for %d task(s) under way", remaining, len(pending))
                announced = True
            hurry = asyncio.ensure_future(self._hurry.wait())
            await asyncio.wait({*pending, hurry}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            hurry.cancel()
        left = self._under_way(caller)
        if not left:
            return
        names = sorted({t.get_name() for t in left})
        log.warning(
            "stopping: %d task(s) still under way were cut off (%s); the next start picks up from the database",
            len(left),
            ", ".join(names),
        )
        for task in left:
            task.cancel()
        await asyncio.wait(left, timeout=CANCEL_WAIT_SECONDS)

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
