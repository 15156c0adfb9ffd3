"""From the database to the streak rules and back: no Discord here, so the benchmark runs exactly this code.

Who came to a circle is decided once, when it ends (`sum_up`): the attendance rule (`bot.domain.attendance`) runs
over its events and the circles each member came to are stored (`attended_sessions`). A circle that ended while
the bot was down is summed up at the next start, or at the next `/streak` in its server.

A member's streaks are walked over the sessions that concern them, read in one query
(`AttendanceRepo.streak_sessions`): the circles they came to (one row each, with the circle's series) and, for each
recurring series they came to, that series' other sessions since their first one there: circles they missed,
circles called off before they started, and sessions with no circle at all (skipped by a facilitator, missed while
the bot was down, cancelled with the series), which never break a streak. The rules then say which past weeks they
still need to know about for the weekly streak (`StreakTally.weeks_to_ask`: weeks with no such session), and one
index probe per week tells whether the server held any circle in them. The result is the same as handing the rules
every circle of the server, at a cost that follows the member's history instead of the server's size.

A circle belongs to the week it was opened in, in the server's timezone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.attendance import Participation, participation, week_bounds
from bot.domain.circle import CircleSettings
from bot.domain.streaks import StreakSummary, tally_streaks

if TYPE_CHECKING:
    from bot.db.repos.circles import CircleRow
    from bot.db.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionReport:
    circle: CircleRow
    opened_at: datetime | None
    rounds: int
    reached: int
    people: list[Participation]

    @property
    def came(self) -> list[Participation]:
        return [p for p in self.people if p.attended]

    @property
    def cancelled(self) -> bool:
        return self.reached == 0


async def session_report(db: Store, circle: CircleRow) -> SessionReport:
    """Who came to one circle and what they did, by the attendance rule."""
    settings = CircleSettings.from_json(circle.state["settings"])
    events = await db.attendance.for_circle(circle.id)
    people = participation(((e.user_id, e.kind, e.round) for e in events), settings.rounds)
    opened_at = await db.attendance.opened_at(circle.id)
    return SessionReport(circle, opened_at, settings.rounds, int(circle.state.get("round") or 0), people)


async def sum_up(db: Store, circle_id: int) -> list[int]:
    """Decide and store who came to an ended circle (once); return their ids."""
    circle = await db.circles.get(circle_id)
    if circle is None or circle.status != "ended":
        return []
    report = await session_report(db, circle)
    if report.opened_at is None:
        return []  # deleted meanwhile
    came = [] if report.cancelled else [p.user_id for p in report.came]
    await db.attendance.save_attended(circle_id, circle.guild_id, report.opened_at, came)
    return came


async def sum_up_pending(db: Store, guild_id: int | None = None) -> int:
    """Sum up every ended circle not summed up yet (one server's, or all); return how many."""
    pending = await db.attendance.circles_to_sum(guild_id)
    for circle_id in pending:
        await sum_up(db, circle_id)
    if pending:
        log.info("summed up the attendance of %d circles", len(pending))
    return len(pending)


@dataclass(frozen=True, slots=True)
class MemberStreaks:
    summary: StreakSummary
    attended: frozenset[int]
    """The circles the member came to."""
    series_name: str | None = None
    """The name of the series of the member's best series streak (`StreakSummary.best_series`), if any."""


async def member_streaks(db: Store, guild_id: int, user_id: int, *, tz: str, now: datetime) -> MemberStreaks:
    """The member's streaks in this server, by the rules in `bot.domain.streaks`."""
    await sum_up_pending(db, guild_id)
    records, came = await db.attendance.streak_sessions(guild_id, user_id)
    tally = tally_streaks(records, came, tz=tz, now=now)
    ask = tally.weeks_to_ask()
    held: list[int] = []
    if ask:
        zone = ZoneInfo(tz)
        positions = await db.attendance.weeks_held(guild_id, [week_bounds(week, zone) for week in ask])
        held = [ask[p] for p in positions]
    summary = tally.summary(held)
    best = summary.best_series()
    name = await db.series.name(best[0]) if best is not None else None
    return MemberStreaks(summary, came, name)
