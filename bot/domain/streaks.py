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

A caller that keeps the server's circles elsewhere need not pass every one of them: :func:`tally_streaks` takes
the member's own sessions (and their series' sessions), says which local weeks it still needs to know about
(:meth:`StreakTally.weeks_to_ask`: was any circle held in them?), and finishes with the answer. The result is the
same as passing every circle of the server to :func:`compute_streaks`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
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


class SessionRecord(NamedTuple):
    """One circle of the server, as far as streaks care.

    A named tuple, not a validated dataclass: a long-time member has a thousand of these on every `/streak`.
    :func:`compute_streaks` refuses a naive ``started_at``.
    """

    session_id: int
    series_id: int | None
    started_at: datetime
    cancelled: bool = False
    bot_missed: bool = False

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

    def best_series(self) -> tuple[int, StreakInfo] | None:
        """The member's best series streak: the longest current one (then the longest ever, then the lowest id)."""
        if not self.series:
            return None
        return max(sorted(self.series.items()), key=lambda item: (item[1].current, item[1].longest))


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


@dataclass(frozen=True, slots=True)
class StreakTally:
    """A member's history, walked once: everything but the weeks the caller has still to be asked about."""

    sessions_attended: int
    attended_weeks: frozenset[int]
    held_weeks: frozenset[int]
    """Local weeks, from the member's first attended session on, in which a session passed in was held."""
    this_week: int
    series: Mapping[int, StreakInfo]

    def weeks_to_ask(self) -> list[int]:
        """Past weeks since the member's first circle in which no session passed in was held, oldest first.

        Only these can still change the weekly streak: the caller answers with the ones the server held a circle
        in (:meth:`summary`). The current week is never asked: it breaks nothing until it is over.
        """
        if not self.attended_weeks:
            return []
        held = self.held_weeks
        return [week for week in range(min(self.attended_weeks), self.this_week) if week not in held]

    def summary(self, held_weeks: Iterable[int] = ()) -> StreakSummary:
        """Finish: ``held_weeks`` are weeks (any of :meth:`weeks_to_ask`) in which the server held a circle."""
        weekly = StreakInfo()
        attended_weeks = self.attended_weeks
        if attended_weeks:
            first, this_week = min(attended_weeks), self.this_week
            held = set(self.held_weeks)
            held.update(week for week in held_weeks if first <= week < this_week)
            # Weekly: only weeks in which the server held a circle can be missed, and the current week only counts
            # once attended.
            weekly = _walk(
                week in attended_weeks for week in sorted(held) if week != this_week or week in attended_weeks
            )
        # max() keeps the first of equals: the weekly streak wins a tie, then the lowest series id.
        candidates: list[tuple[int | None, StreakInfo]] = [(None, weekly), *sorted(self.series.items())]
        headline_series_id, headline = max(candidates, key=lambda item: (item[1].current, item[1].longest))
        count = self.sessions_attended
        return StreakSummary(
            sessions_attended=count,
            weekly=weekly,
            series=self.series,
            headline=headline,
            next_milestone=next_milestone(count),
            headline_series_id=headline_series_id,
        )


def tally_streaks(
    sessions: Iterable[SessionRecord], attended_ids: Collection[int], *, tz: str, now: datetime
) -> StreakTally:
    """Walk a member's sessions once; finish with :meth:`StreakTally.summary` (see :func:`compute_streaks`)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(tz)
    attended_set = attended_ids if isinstance(attended_ids, set | frozenset) else set(attended_ids)

    # The hot path for long-time members: plain tuples and locals, no object per record.
    by_id: dict[int, SessionRecord] = {}
    held: list[tuple[datetime, int, int | None]] = []
    for record in sessions:
        session_id, series_id, started_at, cancelled, bot_missed = record
        known = by_id.get(session_id)
        if known is not None:
            if known != record:
                raise ValueError(f"two different records for session {session_id}")
            continue
        by_id[session_id] = record
        if started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware")
        if not (cancelled or bot_missed) and started_at <= now:
            held.append((started_at, session_id, series_id))
    # By start, then id (ids are unique by now, so the tuples never compare further).
    held.sort()

    # Nothing before the member's first attended session can count or break anything.
    first = next((i for i, item in enumerate(held) if item[1] in attended_set), len(held))
    held_weeks: set[int] = set()
    attended_weeks: set[int] = set()
    series_marks: dict[int, list[bool]] = {}
    count = 0
    for started_at, session_id, series_id in held[first:]:
        # _local_week, inlined: one conversion per session is most of the cost of this loop.
        week = (started_at.astimezone(zone).toordinal() - 1) // 7
        held_weeks.add(week)
        was_there = session_id in attended_set
        if was_there:
            count += 1
            attended_weeks.add(week)
        if series_id is not None:
            marks = series_marks.get(series_id)
            if marks is None:
                series_marks[series_id] = marks = []
            marks.append(was_there)

    series: dict[int, StreakInfo] = {}
    for series_id in sorted(series_marks):
        marks = series_marks[series_id]
        if True in marks:
            series[series_id] = _walk(marks[marks.index(True) :])
    return StreakTally(
        sessions_attended=count,
        attended_weeks=frozenset(attended_weeks),
        held_weeks=frozenset(held_weeks),
        this_week=_local_week(now, zone),
        series=series,
    )


def compute_streaks(
    sessions: Iterable[SessionRecord], attended_ids: Collection[int], *, tz: str, now: datetime
) -> StreakSummary:
    """Compute a member's streaks from the server's sessions and the ids of those the member attended.

    ``sessions`` are all sessions the member could have attended, from their first attended one on (more
    is fine). The result does not depend on the order they arrive in. O(n log n) in the number of sessions.
    """
    return tally_streaks(sessions, attended_ids, tz=tz, now=now).summary()
