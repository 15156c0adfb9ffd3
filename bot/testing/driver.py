"""Driving discord.py from outside: waiting for the work it spawned, and catching what it only logs.

discord.py runs handlers in tasks and logs the exceptions raised in listeners, commands and views, then carries on.
So after each event the stand-in waits for those tasks, and any ERROR record (or APScheduler's "was missed by"
warning) on the watched loggers is kept, for the test to fail on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.scheduling import Scheduler

WATCHED_LOGGERS = ("discord", "apscheduler", "asyncio", "bot", "cogs")
# Task names discord.py gives the work it spawns for an event (the most version-fragile part: keep it here).
_WORK_TASK_PREFIXES = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord-ui-modal",
    "discord-ui-dynamic-item-",
    "circles: ",
)


async def settle() -> None:
    """Wait until the tasks discord.py (and the bot) spawned for the last event are done."""
    me = asyncio.current_task()
    quiet_rounds = 0
    for _ in range(500):
        pending = [
            t
            for t in asyncio.all_tasks()
            if t is not me and not t.done() and t.get_name().startswith(_WORK_TASK_PREFIXES)
        ]
        if pending:
            quiet_rounds = 0
            await asyncio.wait(pending, timeout=10)
            continue
        quiet_rounds += 1
        if quiet_rounds > 3:
            return
        await asyncio.sleep(0)


async def advance(scheduler: Scheduler, seconds: float) -> None:
    """Move the injected clock on through the scheduler: timers that come due run at their own moments."""
    await settle()
    await scheduler.advance(seconds)
    await settle()


class ErrorLog(Protocol):
    """Where caught errors go: each with the step of the scenario or test that was running."""

    step: int
    errors: list[tuple[int, str]]


class ErrorCatcher(logging.Handler):
    def __init__(self, log: ErrorLog) -> None:
        super().__init__(level=logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or "was missed by" in message:
            text = message
            if record.exc_info and record.exc_info[1] is not None:
                text = f"{message}: {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            self.log.errors.append((self.log.step, text))

    def watch(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(self)

    def unwatch(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self)
