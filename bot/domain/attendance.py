"""Who came to one circle, from its attendance events; and the local weeks a streak walks over.

The attendance rule itself is :func:`bot.domain.streaks.attended`. This module reads a circle's events (joined,
left, took_turn, passed, skipped, each with the round it happened in) and decides, per member:

- **The membership that counts** is the one they held at their first turn (taken or passed): its join round is
  the round of their last ``joined`` before that turn. Someone who joined before the start, left, and came back in
  the last round to speak joined in the last round. With no turn, it is their first join.
- **No join recorded** before a turn happens when a member turned attendance tracking back on mid-circle: their
  join was never written. They get the benefit of the doubt (joined in time), as a forgiving streak should.
- A turn the facilitator **skipped** (someone stepped away) is neither taken nor passed, so it does not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.streaks import attended

TURN_KINDS = frozenset({"took_turn", "passed"})


@dataclass(frozen=True, slots=True)
class Participation:
    """One member in one circle."""

    user_id: int
    joined_round: int | None
    """Round the counting membership began in (0: before the start); None when no join was recorded."""
    left_round: int | None
    """Round they left in, when they left and did not come back; None if they stayed to the end."""
    turns_taken: int
    turns_passed: int
    turns_skipped: int
    attended: bool


@dataclass(slots=True)
class _Tally:
    first_join: int | None = None
    join_at_first_turn: int | None = None
    last_join: int | None = None
    left_round: int | None = None
    taken: int = 0
    passed: int = 0
    skipped: int = 0
    had_turn: bool = False


def participation(events: Iterable[tuple[int, str, int]], rounds: int) -> list[Participation]:
    """Summarise a circle's events, given in the order they happened as ``(user_id, kind, round)``.

    ``rounds`` is how many rounds the circle was set to have. Members are listed in the order they first appear.
    """
    tallies: dict[int, _Tally] = {}
    for user_id, kind, round_ in events:
        tally = tallies.setdefault(user_id, _Tally())
        if kind == "joined":
            if tally.first_join is None:
                tally.first_join = round_
            tally.last_join = round_
            tally.left_round = None
        elif kind == "left":
            tally.left_round = round_
        elif kind in TURN_KINDS:
            if not tally.had_turn:
                tally.had_turn = True
                tally.join_at_first_turn = tally.last_join
            if kind == "took_turn":
                tally.taken += 1
            else:
                tally.passed += 1
        elif kind == "skipped":
            tally.skipped += 1
        else:
            raise ValueError(f"unknown attendance kind {kind!r}")
    found = []
    for user_id, tally in tallies.items():
        joined = tally.join_at_first_turn if tally.had_turn else tally.first_join
        found.append(
            Participation(
                user_id=user_id,
                joined_round=joined,
                left_round=tally.left_round,
                turns_taken=tally.taken,
                turns_passed=tally.passed,
                turns_skipped=tally.skipped,
                attended=attended(
                    joined_round=0 if joined is None else joined,
                    rounds=rounds,
                    turns_taken=tally.taken,
                    turns_passed=tally.passed,
                ),
            )
        )
    return found


def week_start(moment: datetime, tz: str) -> datetime:
    """The first instant of the local week (Monday, local midnight) that holds ``moment``, as an aware datetime.

    Where local midnight does not exist (a clock change at midnight), the week starts at the first local time that
    does; where it happens twice, at the first of the two.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    zone = ZoneInfo(tz)
    day = moment.astimezone(zone).date()
    return local_midnight(day - timedelta(days=day.weekday()), zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``.

    ``fold=0`` picks the earlier of two midnights; a midnight that a clock change skipped resolves to the instant the
    clocks jumped, the day's first real moment.
    """
    return datetime.combine(day, time(0), tzinfo=zone)


def week_index(moment: datetime, zone: ZoneInfo) -> int:
    """The local week holding ``moment``, as a number: consecutive weeks differ by one.

    The same numbering as the streak rules: ``date.toordinal()`` is 1 on Monday 0001-01-01, so every seven
    ordinals from there make one Monday-to-Sunday local week.
    """
    return (moment.astimezone(zone).toordinal() - 1) // 7


def week_bounds(index: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of local week ``index`` and of the week after (see :func:`week_index`)."""
    monday = date.fromordinal(index * 7 + 1)
    return local_midnight(monday, zone), local_midnight(monday + timedelta(weeks=1), zone)


def local_weeks(first: datetime, last: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    """Every local week from the one holding ``first`` to the one holding ``last``, as ``(start, end)`` instants.

    Each week runs from local midnight on Monday (inclusive) to the next one (exclusive), so the weeks tile time
    with no gap or overlap, across clock changes.
    """
    if first.tzinfo is None or last.tzinfo is None:
        raise ValueError("first and last must be timezone-aware")
    zone = ZoneInfo(tz)
    monday = week_start(first, tz).astimezone(zone).date()
    end = week_start(last, tz).astimezone(zone).date()
    weeks = []
    start = local_midnight(monday, zone)
    while monday <= end:
        monday += timedelta(weeks=1)
        following = local_midnight(monday, zone)
        weeks.append((start, following))
        start = following
    return weeks
