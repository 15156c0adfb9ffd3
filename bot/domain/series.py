"""A recurring circle's sessions: their statuses, what is due for the current one, and when to look again.

Pure rules: aware datetimes and plain values in, a step or a moment out. The shell (`cogs/circles/series.py`)
claims each step in the database before it acts, so nothing happens twice, and arms one timer at
:func:`next_wake`.

A session starting at S lives like this:

- from S - ``EVENT_LEAD`` (a week): it is listed in the server's Events;
- from S - ``REMIND_BEFORE`` (an hour) until S: the members who asked get a reminder DM, once;
- at its opening time, S - ``open_minutes_before`` (never before the series was set up): the circle opens;
- with ``auto_start``, at S: the circle starts by itself.

Downtime: the bot may be down when a moment comes. A session whose opening time passed at most ``GRACE`` ago
still opens; an older one is **missed by the bot** (``MISSED_BY_BOT``), which never counts against anyone's
streak. Likewise a circle starts by itself only within ``GRACE`` of S; later, it is left for a facilitator.
A reminder is only worth sending before S.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.recurrence import Recurrence, next_occurrence

GRACE = timedelta(minutes=15)
"""A session whose opening (or start) time passed while the bot was down still opens (starts) this late."""
EVENT_LEAD = timedelta(days=7)
REMIND_BEFORE = timedelta(hours=1)

# A session's status, as stored (`bot/db/repos/series.py` keeps the same words).
PLANNED = "planned"
OPENED = "opened"
SKIPPED = "skipped"
MISSED_BY_BOT = "missed_by_bot"
CANCELLED = "cancelled"
DONE_WITHOUT_CIRCLE = (SKIPPED, MISSED_BY_BOT, CANCELLED)
"""A session that will never have a circle: a facilitator skipped it, the bot was down, the series ended."""


class Step(StrEnum):
    """What is due for a series' current session, one at a time."""

    MOVE_ON = "move_on"
    """Nothing is left to do for this session: the series moves on to its next one."""
    REMIND = "remind"
    """Send the reminder DMs (once)."""
    OPEN = "open"
    """Open the circle."""
    MISS = "miss"
    """Its opening time passed more than ``GRACE`` ago: record it as missed by the bot."""
    START = "start"
    """Start the circle by itself (``auto_start``)."""
    LEAVE_FOR_FACILITATOR = "leave_for_facilitator"
    """Its start time passed more than ``GRACE`` ago: mark it started and leave the circle for a facilitator."""
    WAIT = "wait"
    """Nothing is due yet."""


@dataclass(frozen=True, slots=True)
class SessionLife:
    """What the rules need to know about a series' current session."""

    starts_at: datetime
    opens_at: datetime
    auto_start: bool
    status: str = PLANNED
    reminded: bool = False
    started: bool = False


OPEN_SPREAD_SECONDS = 30
"""Series whose circles would open at the same moment open up to this much earlier, each by its own amount."""


def open_spread(series_id: int) -> timedelta:
    """How much earlier this series opens its circles than asked, so series of the same minute open apart.

    A server's groups often meet at the same hour; opening 100 circles in the same second would put every card
    post and prompt into one burst. Each series opens between 0 and ``OPEN_SPREAD_SECONDS`` early, by its id
    (consecutive ids land seconds apart), and never later: a circle that opens a little early only gives people
    more time to join.
    """
    return timedelta(seconds=((series_id - 1) * 7) % OPEN_SPREAD_SECONDS)


def opens_at(
    starts_at: datetime, open_minutes_before: int, created_at: datetime, series_id: int | None = None
) -> datetime:
    """When a session's circle opens: `open_minutes_before` its start, but never before the series existed.

    With its `series_id`, a little earlier for most series (`open_spread`). A series set up nine minutes before a
    session that opens ten minutes early opens it at once, on time.
    """
    spread = open_spread(series_id) if series_id is not None else timedelta(0)
    return max(starts_at - timedelta(minutes=open_minutes_before) - spread, created_at)


def in_reminder_window(starts_at: datetime, now: datetime) -> bool:
    """Whether a reminder for a session starting at `starts_at` is due now: within the hour before it starts."""
    return starts_at - REMIND_BEFORE <= now < starts_at


def next_step(life: SessionLife, now: datetime) -> Step:
    """The one step due now for the session, in its life's order (see the module docstring)."""
    if life.status in DONE_WITHOUT_CIRCLE:
        return Step.MOVE_ON
    if life.status == OPENED:
        if not life.auto_start or life.started:
            return Step.MOVE_ON
        if now < life.starts_at:
            return Step.WAIT
        return Step.START if now - life.starts_at <= GRACE else Step.LEAVE_FOR_FACILITATOR
    if not life.reminded and in_reminder_window(life.starts_at, now):
        return Step.REMIND
    if now < life.opens_at:
        return Step.WAIT
    return Step.MISS if now - life.opens_at > GRACE else Step.OPEN


def next_wake(life: SessionLife, now: datetime, recurrence: Recurrence, tz: str) -> datetime:
    """When the series should look again: the next moment after `now` that something may come due.

    That is the session's start (opened, waiting to start by itself), else its opening time and its reminder
    window; and whenever the session after them comes within a week (its Event is made then), which is always
    ahead, so a series never sleeps longer than a week. ``GRACE`` from now is only a safety net.
    """
    moments = [next_occurrence(recurrence, now + EVENT_LEAD, tz) - EVENT_LEAD]
    if life.status == OPENED:
        moments.append(life.starts_at)
    else:
        moments.append(life.opens_at)
        if not life.reminded:
            moments.append(life.starts_at - REMIND_BEFORE)
    ahead = [m for m in moments if m > now]
    return min(ahead) if ahead else now + GRACE


def next_to_come(sessions: Iterable[tuple[datetime, str]]) -> tuple[datetime, str] | None:
    """The first of `(starts_at, status)` that will still have a circle (planned or open), or None."""
    return next(((moment, status) for moment, status in sessions if status not in DONE_WITHOUT_CIRCLE), None)
