"""Forgiving attendance streaks and milestones.

The rules, in the words the README uses:

- **Attended.** A member attended a circle when they were a participant when it started, or joined before
  its last round began, *and* took or passed at least one turn. Passing counts: "it's okay to pass".
- **Series streak.** How many sessions of one recurring series in a row the member attended, counted from the
  first one they attended.
- **Weekly streak.** How many weeks in a row the member attended at least one circle of the server. Weeks
  are the server's local weeks: they start at local midnight on Monday in the server's timezone, whatever
  UTC says.
- Both are shown; the longer current one is the **headline** (on a tie, the weekly streak).
- **Streak freezes.** Every 4 sessions in a row attended in a series earn a freeze for that series; every 4
  weeks in a row attended earn a freeze for the weekly streak. Each streak has its own bank of at most 2; a
  freeze earned while the bank is full is not kept. "In a row" starts again after any miss, even one a freeze
  covered.
- **A miss.** A missed session (series) or a missed week (weekly) spends a freeze instead of breaking the
  streak. A freeze keeps the streak alive but does not add to it. With no freeze left, the streak starts again
  from zero.
- **What never breaks a streak.** A session a facilitator cancelled, or one the bot missed because it was
  down, is not a session at all: it neither counts nor breaks (even if someone is recorded as attending it).
  A week in which the server held no circle (or only cancelled or missed ones) is skipped the same way. The
  current week does not break the weekly streak until it is over; a circle attended in it counts at once.
- **Milestones** at 1, 3, 5, 10, 25, 50 and 100 sessions attended in the server (cancelled and missed sessions
  do not count).

For :func:`compute_streaks` the caller passes sessions that have ended (or were cancelled or missed): a
session still running would count as missed until the member's turn is recorded. Sessions that start after
``now`` are ignored, as are attended ids that match no session passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

MILESTONES: tuple[int, ...] = (1, 3, 5, 10, 25, 50, 100)
IN_A_ROW_PER_FREEZE = 4
MAX_FREEZES = 2


def attended(*, joined_round: int, rounds: int, turns_taken: int, turns_passed: int) -> bool:
    """Say whether a member attended a session.

    ``joined_round`` is 0 when they were a participant before the circle started, else the 1-based round
    that was running when they joined; ``rounds`` is how many rounds the circle had. Joining during the last
    round does not count (not even in a one-round circle), so dropping in at the end never earns a streak.
    """
    if min(joined_round, rounds, turns_taken, turns_passed) < 0:
        raise ValueError("rounds, turns and joined_round cannot be negative")
    joined_in_time = joined_round == 0 or joined_round < rounds
    return joined_in_time and turns_taken + turns_passed >= 1


def milestone_crossed(before: int, after: int) -> int | None:
    """Return the highest milestone reached by going from ``before`` to ``after`` sessions, if any."""
    crossed = [m for m in MILESTONES if before < m <= after]
    return crossed[-1] if crossed else None


def next_milestone(count: int) -> int | None:
    """Return the next milestone above ``count`` sessions attended, or None past the last one."""
    return next((m for m in MILESTONES if m > count), None)


@dataclass(frozen=True)
class SessionRecord:
    """One circle of the server, as far as streaks care."""

    session_id: int
    series_id: int | None
    started_at: datetime
    cancelled: bool = False
    bot_missed: bool = False

    def __post_init__(self) -> None:
        if self.started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware")

    @property
    def void(self) -> bool:
        """A session that neither counts nor breaks a streak."""
        return self.cancelled or self.bot_missed


@dataclass(frozen=True)
class StreakInfo:
    current: int = 0
    longest: int = 0
    freezes: int = 0


@dataclass(frozen=True)
class StreakSummary:
    sessions_attended: int
    weekly: StreakInfo
    series: Mapping[int, StreakInfo]
    headline: StreakInfo
    next_milestone: int | None
    headline_series_id: int | None = None
    """The series whose streak is the headline; None when the headline is the weekly streak."""


def _walk(marks: Iterable[bool]) -> StreakInfo:
    """Run the streak rules over attended (True) / missed (False) marks, oldest first."""
    # One plain loop with locals: this runs once per series and once for the weeks, on every /streak.
    current = longest = freezes = in_a_row = 0
    for was_there in marks:
        if was_there:
            current += 1
            in_a_row += 1
            if current > longest:
                longest = current
            if in_a_row % IN_A_ROW_PER_FREEZE == 0 and freezes < MAX_FREEZES:
                freezes += 1
        else:
            in_a_row = 0
            if freezes:
                freezes -= 1
            else:
                current = 0
    return StreakInfo(current=current, longest=longest, freezes=freezes)


def _local_week(moment: datetime, zone: ZoneInfo) -> int:
    """Return the index of the local week (Monday to Sunday) of ``moment``; consecutive weeks differ by 1."""
    # date.toordinal() is 1 on Monday 0001-01-01, so whole weeks of ordinals are local Monday-to-Sunday weeks.
    return (moment.astimezone(zone).toordinal() - 1) // 7


def compute_streaks(
    sessions: Iterable[SessionRecord], attended_ids: Collection[int], *, tz: str, now: datetime
) -> StreakSummary:
    """Compute a member's streaks from the server's sessions and the ids of those the member attended.

    ``sessions`` are all sessions the member could have attended, from their first attended one on (more
    is fine). The result does not depend on the order they arrive in. O(n log n) in the number of sessions.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(tz)
    attended_set = attended_ids if isinstance(attended_ids, set | frozenset) else set(attended_ids)

    by_id: dict[int, SessionRecord] = {}
    for record in sessions:
        known = by_id.setdefault(record.session_id, record)
        if known is not record and known != record:
            raise ValueError(f"two different records for session {record.session_id}")
    held = sorted(
        (r for r in by_id.values() if not (r.cancelled or r.bot_missed) and r.started_at <= now),
        key=attrgetter("started_at", "session_id"),
    )

    # Nothing before the member's first attended session can count or break anything.
    first = next((i for i, r in enumerate(held) if r.session_id in attended_set), len(held))
    held_weeks: set[int] = set()
    attended_weeks: set[int] = set()
    series_marks: dict[int, list[bool]] = {}
    count = 0
    for record in held[first:]:
        # Inlined _local_week: this loop is the hot path for long-time members.
        week = (record.started_at.astimezone(zone).toordinal() - 1) // 7
        held_weeks.add(week)
        was_there = record.session_id in attended_set
        if was_there:
            count += 1
            attended_weeks.add(week)
        if record.series_id is not None:
            series_marks.setdefault(record.series_id, []).append(was_there)

    weekly = StreakInfo()
    if attended_weeks:
        this_week = _local_week(now, zone)
        # Weekly: only weeks in which the server held a circle can be missed.
        weekly = _walk(
            week in attended_weeks for week in sorted(held_weeks) if week != this_week or week in attended_weeks
        )

    series: dict[int, StreakInfo] = {}
    for series_id in sorted(series_marks):
        marks = series_marks[series_id]
        if True in marks:
            series[series_id] = _walk(marks[marks.index(True) :])

    # max() keeps the first of equals: the weekly streak wins a tie, then the lowest series id.
    candidates: list[tuple[int | None, StreakInfo]] = [(None, weekly), *series.items()]
    headline_series_id, headline = max(candidates, key=lambda item: (item[1].current, item[1].longest))
    return StreakSummary(
        sessions_attended=count,
        weekly=weekly,
        series=series,
        headline=headline,
        next_milestone=next_milestone(count),
        headline_series_id=headline_series_id,
    )
