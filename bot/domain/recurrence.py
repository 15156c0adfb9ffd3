"""Recurring schedules in a server's local wall time: prompt schedules and recurring circles.

A schedule says "every Tuesday at 19:00" in the server's IANA timezone, so 19:00 stays 19:00 on both sides
of a daylight-saving change: occurrences are computed in local wall time and only then turned into UTC.

Two local times need a rule, because ``CronTrigger`` gets both wrong (an hour late, or twice):

- **Gap** (spring forward): a wall time that does not exist that day, e.g. 02:30 in Europe/Berlin on the last
  Sunday of March, happens at the moment the clocks jump (03:00 local, the first valid instant after the gap),
  exactly once.
- **Overlap** (fall back): a wall time that happens twice that day, e.g. 02:30 in Europe/Berlin on the last
  Sunday of October, happens only at the first of the two instants, never twice.

"Every N weeks" counts weeks (Monday to Sunday, local) from an ``anchor``: the Monday of the local week of the
first occurrence, fixed when the schedule is created (:func:`bind_anchor`) so later edits or restarts never
shift the rhythm. Weeks before the anchor have no occurrences.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.refusal import Refusal

log = logging.getLogger(__name__)

MAX_INTERVAL_WEEKS = 8
"""The longest "every N weeks" rhythm: beyond two months a group is better served by one-off circles."""

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_DAYS: frozenset[int] = frozenset(range(7))
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# The gap rule searches for the instant the clocks jump; tzdata transitions fall on whole seconds.
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Recurrence:
    """A weekly rhythm at one local wall time: which weekdays, what time, every how many weeks.

    ``weekdays`` uses 0=Monday .. 6=Sunday; a daily schedule has all seven. ``anchor`` is the Monday of the
    week of the first occurrence and is required when ``interval_weeks`` > 1 (see :func:`bind_anchor`).
    """

    weekdays: frozenset[int]
    hour: int
    minute: int
    interval_weeks: int = 1
    anchor: date | None = None

    def __post_init__(self) -> None:
        # Accept any iterable of days; a frozen dataclass can only be normalised through object.__setattr__.
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if not self.weekdays or not self.weekdays <= ALL_DAYS:
            raise ValueError(f"weekdays must be a non-empty subset of 0..6, got {sorted(self.weekdays)}")
        if not 0 <= self.hour <= 23 or not 0 <= self.minute <= 59:
            raise ValueError(f"invalid time {self.hour}:{self.minute}")
        if not 1 <= self.interval_weeks <= MAX_INTERVAL_WEEKS:
            raise ValueError(f"interval_weeks must be 1..{MAX_INTERVAL_WEEKS}, got {self.interval_weeks}")
        if self.anchor is not None and (isinstance(self.anchor, datetime) or self.anchor.weekday() != 0):
            raise ValueError(f"anchor must be a Monday date, got {self.anchor!r}")

    @property
    def is_daily(self) -> bool:
        return self.weekdays == ALL_DAYS and self.interval_weeks == 1

    @property
    def wall_time(self) -> time:
        return time(self.hour, self.minute)

    def to_json(self) -> str:
        """Serialise for a TEXT column; :meth:`from_json` reads it back."""
        return json.dumps(
            {
                "weekdays": sorted(self.weekdays),
                "hour": self.hour,
                "minute": self.minute,
                "interval_weeks": self.interval_weeks,
                "anchor": self.anchor.isoformat() if self.anchor else None,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Recurrence:
        """Read what :meth:`to_json` wrote; raises ``ValueError`` on anything malformed."""
        try:
            data = json.loads(text)
            anchor = data.get("anchor")
            return cls(
                weekdays=frozenset(int(day) for day in data["weekdays"]),
                hour=int(data["hour"]),
                minute=int(data["minute"]),
                interval_weeks=int(data.get("interval_weeks", 1)),
                anchor=date.fromisoformat(anchor) if anchor else None,
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a stored recurrence: {text!r}") from exc

    def describe(self) -> str:
        """Plain words: "every day at 09:00", "every Tuesday at 19:00", "every 2 weeks on Monday at 18:30"."""
        at = f"at {self.hour:02d}:{self.minute:02d}"
        if self.is_daily:
            return f"every day {at}"
        days = _join_words([DAY_NAMES[day] for day in sorted(self.weekdays)])
        if self.interval_weeks == 1:
            return f"every {days} {at}"
        return f"every {self.interval_weeks} weeks on {days} {at}"


def _join_words(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


# ---------------------------------------------------------------------------------------------------------
# Parsing


_TIME_24 = re.compile(r"(?<![\d:.])(\d{1,2})[:.](\d{2})(?:\s*([ap])\.?m\.?)?(?![\d:])")
_TIME_12 = re.compile(r"(?<![\d:.])(\d{1,2})\s*([ap])\.?m\.?(?![a-z])")
_EVERY_N_WEEKS = re.compile(r"\bevery\s+(\d+)\s*(?:weeks?|wks?)\b")
_EVERY_OTHER_WEEK = re.compile(r"\b(?:every\s+(?:other|second)\s+week|fortnightly|bi-?weekly)\b")
_DAILY = re.compile(r"\b(?:daily|every\s*day|each\s+day)\b")
_FILLER = {"weekly", "every", "each", "week", "on", "at", "and", "in", "the", "from"}
_DAY_ALIASES = {"weds": 2, "thur": 3, "thurs": 3, "tues": 1}
_DAY_GROUPS = {"weekday": frozenset(range(5)), "weekend": frozenset({5, 6})}


def _parse_day(word: str) -> frozenset[int] | None:
    """One day word: full name, 3+ letter start of one (mon, tue, tues, thu, thur), plural, or a group."""
    if word.endswith("s") and (word[:-1] in _DAY_GROUPS or word[:-1].endswith("day")):
        word = word[:-1]  # "mondays", "weekends"
    if word in _DAY_GROUPS:
        return _DAY_GROUPS[word]
    if word in _DAY_ALIASES:
        return frozenset({_DAY_ALIASES[word]})
    if len(word) >= 3:
        matches = [i for i, name in enumerate(DAY_NAMES) if name.lower().startswith(word)]
        if len(matches) == 1:
            return frozenset(matches)
    return None


def _examples(*, allow_daily: bool, allow_multi_day: bool, allow_interval: bool) -> str:
    forms = []
    if allow_daily:
        forms.append("`daily 09:00`")
    forms.append("`weekly mon 19:30`")
    if allow_multi_day:
        forms.append("`weekly tue,thu 19:00`")
    if allow_interval:
        forms.append("`every 2 weeks mon 18:30`")
    if len(forms) == 1:
        return f"Try {forms[0]}."
    return "Try " + ", ".join(forms[:-1]) + " or " + forms[-1] + "."


def _extract_time(text: str) -> tuple[time | None, str, int]:
    """Find times of day in ``text``: the only one (None if unreadable), the text without them, how many."""
    found: list[tuple[re.Match[str], time | None]] = []
    for match in _TIME_24.finditer(text):
        hour, minute, half = int(match[1]), int(match[2]), match[3]
        found.append((match, _to_time(hour, minute, half)))
    rest = _TIME_24.sub(" ", text)
    for match in _TIME_12.finditer(rest):
        found.append((match, _to_time(int(match[1]), 0, match[2])))
    rest = _TIME_12.sub(" ", rest)
    return (found[0][1] if len(found) == 1 else None), rest, len(found)


def _to_time(hour: int, minute: int, half: str | None) -> time | None:
    if minute > 59:
        return None
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23:
        return None
    return time(hour, minute)


def parse_when(text: str, *, allow_daily: bool, allow_multi_day: bool, allow_interval: bool) -> Recurrence:
    """Read what a facilitator typed into a :class:`Recurrence` (anchor unset; see :func:`bind_anchor`).

    Forgiving: any case; day names in full, plural or shortened (mon, tue, tues, thu, thur, weekdays);
    days separated by commas, spaces, "/" or "and"; 24-hour ``HH:MM`` or ``H:MM`` (also ``19.00``) or
    12-hour ``7pm`` / ``7:30pm``; ``every other week`` and ``fortnightly`` mean every 2 weeks.
    Raises :class:`~bot.domain.refusal.Refusal` (key ``when.*``) whose message shows the forms this caller accepts.
    """
    try_these = _examples(allow_daily=allow_daily, allow_multi_day=allow_multi_day, allow_interval=allow_interval)

    def fail(key: str, problem: str) -> Refusal:
        return Refusal(f"when.{key}", f"{problem} {try_these}")

    normalised = " ".join(text.lower().split())
    if not normalised:
        raise fail("empty", "I didn't get a schedule.")

    wall, rest, times = _extract_time(normalised)
    if times == 0:
        raise fail("no_time", "I couldn't find a time in that.")
    if times > 1:
        raise fail("many_times", "I found more than one time there; one schedule has one time.")
    if wall is None:
        raise fail("bad_time", "I couldn't read that time.")

    interval = 1
    if match := _EVERY_N_WEEKS.search(rest):
        interval = int(match[1])
        rest = rest[: match.start()] + " " + rest[match.end() :]
    elif match := _EVERY_OTHER_WEEK.search(rest):
        interval = 2
        rest = rest[: match.start()] + " " + rest[match.end() :]

    daily = False
    if match := _DAILY.search(rest):
        daily = True
        rest = rest[: match.start()] + " " + rest[match.end() :]

    days: set[int] = set()
    day_words = 0
    for word in re.split(r"[\s,/&+;]+", rest):
        if not word or word in _FILLER:
            continue
        parsed = _parse_day(word)
        if parsed is None:
            raise fail("bad_day", f"I couldn't read “{word[:20]}” as a day.")
        day_words += 1
        days |= parsed

    if daily:
        if not allow_daily:
            raise fail("needs_day", "This schedule needs a day of the week.")
        if days:
            raise fail("daily_and_day", "That says both daily and a day of the week; which one did you mean?")
        if interval != 1:
            raise fail("daily_and_interval", "“Daily” and “every few weeks” don't go together.")
        return Recurrence(weekdays=ALL_DAYS, hour=wall.hour, minute=wall.minute)

    if not days:
        raise fail("no_day", "I couldn't find a day in that.")
    if (day_words > 1 or len(days) > 1) and not allow_multi_day:
        raise fail("one_day", "This schedule takes one day.")
    if interval != 1 and not allow_interval:
        raise fail("weekly_only", "This schedule repeats every week.")
    if not 1 <= interval <= MAX_INTERVAL_WEEKS:
        raise fail("interval_range", f"Every 1 to {MAX_INTERVAL_WEEKS} weeks works.")
    return Recurrence(weekdays=frozenset(days), hour=wall.hour, minute=wall.minute, interval_weeks=interval)


# ---------------------------------------------------------------------------------------------------------
# Occurrences


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_is_active(rec: Recurrence, day: date) -> bool:
    if rec.interval_weeks == 1:
        return True
    if rec.anchor is None:
        raise ValueError("an every-N-weeks recurrence needs an anchor: call bind_anchor() when creating it")
    weeks = (_monday(day) - rec.anchor).days // 7
    return weeks >= 0 and weeks % rec.interval_weeks == 0


def _wall_of(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def resolve_wall_time(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of a local wall time on a local date, with the gap and overlap rules applied.

    Gap: the instant the clocks jump (the first valid instant after the missing wall time). Overlap: the first
    of the two instants (fold=0).
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_of(first, zone) == naive:
        return first
    # In a gap, fold=0 reads the wall time with the offset from before the jump (an instant after it) and
    # fold=1 with the offset from after (an instant before it); the jump lies between. Find the first
    # instant whose wall time is past the requested one.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    if low > high:
        low, high = high, low
    steps = int((high - low) / _ONE_SECOND)
    lo, hi = 0, steps
    while lo < hi:
        mid = (lo + hi) // 2
        if _wall_of(low + mid * _ONE_SECOND, zone) > naive:
            hi = mid
        else:
            lo = mid + 1
    return low + lo * _ONE_SECOND


def _occurrences_from(rec: Recurrence, after: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    """Every occurrence strictly after ``after``, in order, without end."""
    # Resolved instants rise with the local date, so start a little before ``after`` (a gap can push an
    # occurrence later than its wall date) and skip what is not yet past it.
    day = after.astimezone(zone).date() - timedelta(days=2)
    if rec.anchor is not None and rec.interval_weeks > 1 and day < rec.anchor:
        day = rec.anchor
    wall = rec.wall_time
    while True:
        if day.weekday() in rec.weekdays and _week_is_active(rec, day):
            instant = resolve_wall_time(day, wall, zone)
            if instant > after:
                yield instant
        if day.weekday() == 6 and rec.interval_weeks > 1:
            # Jump over the inactive weeks instead of walking their days.
            day += timedelta(days=1)
            while not _week_is_active(rec, day):
                day += timedelta(weeks=1)
        else:
            day += timedelta(days=1)


def next_occurrence(rec: Recurrence, after: datetime, tz: str) -> datetime:
    """Return the first occurrence strictly after ``after`` (aware), as an aware UTC datetime."""
    _require_aware(after, "after")
    return next(_occurrences_from(rec, after, ZoneInfo(tz)))


def occurrences_between(rec: Recurrence, start: datetime, end: datetime, tz: str) -> list[datetime]:
    """Occurrences ``t`` with ``start < t <= end``, in order (aware UTC).

    Half-open like :func:`next_occurrence`, so "what was due since the last run, up to now" is
    ``occurrences_between(rec, last_run, now, tz)`` with no double firing.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    found: list[datetime] = []
    for instant in _occurrences_from(rec, start, ZoneInfo(tz)):
        if instant > end:
            break
        found.append(instant)
    return found


def bind_anchor(rec: Recurrence, *, now: datetime, tz: str) -> Recurrence:
    """Fix the anchor of an every-N-weeks schedule to the local week of its first occurrence after ``now``.

    Weekly and daily schedules need no anchor and come back unchanged; an anchor already set is kept.
    """
    _require_aware(now, "now")
    if rec.interval_weeks == 1 or rec.anchor is not None:
        return rec
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date() - timedelta(days=2)
    # Within ten days some weekday of the schedule comes round, whatever the gap rule did to the one before.
    for _ in range(10):
        if day.weekday() in rec.weekdays and resolve_wall_time(day, rec.wall_time, zone) > now:
            return replace(rec, anchor=_monday(day))
        day += timedelta(days=1)
    raise AssertionError(f"no occurrence of {rec} within ten days of {now}")


def local_time_issue(rec: Recurrence, tz: str, around: datetime) -> str | None:
    """Return a kind note if this wall time falls in a daylight-saving gap or overlap in ``tz``, else None.

    Looks at the year from ``around`` on, on the schedule's weekdays (whichever week of an every-N-weeks
    rhythm, since the change day will fall in an active week in some year).
    """
    _require_aware(around, "around")
    zone = ZoneInfo(tz)
    wall = rec.wall_time
    shown = f"{rec.hour:02d}:{rec.minute:02d}"
    start = around.astimezone(zone).date()
    gap: tuple[date, datetime] | None = None
    overlap: date | None = None
    for offset in range(367):
        day = start + timedelta(days=offset)
        if day.weekday() not in rec.weekdays:
            continue
        naive = datetime.combine(day, wall)
        first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
        second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        if first == second:
            continue
        if _wall_of(first, zone) != naive:
            gap = gap or (day, resolve_wall_time(day, wall, zone))
        elif overlap is None:
            overlap = day
    notes = []
    if gap is not None:
        day, instant = gap
        jump = instant.astimezone(zone)
        notes.append(
            f"In {tz} the clocks skip over {shown} when they go forward (next on {long_date(day)}). "
            f"That day it will happen once, at {jump:%H:%M}, right when the clocks change."
        )
    if overlap is not None:
        notes.append(
            f"In {tz} {shown} comes twice when the clocks go back (next on {long_date(overlap)}). "
            "That day it will happen only once, the first time."
        )
    return " ".join(notes) or None


def long_date(day: date) -> str:
    # Not strftime("%B"): that follows the process locale, and these notes are written in English.
    return f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


# ---------------------------------------------------------------------------------------------------------
# Catching up after time passed without a run (the bot was down, or a job ran late)


@dataclass(frozen=True)
class CatchUp:
    """What a schedule does at ``now``: post for at most one occurrence, then wait for ``next_due``.

    ``post`` is the occurrence to post for now, or None; ``skipped`` counts occurrences that were due but are
    left out (all but the latest, and the latest too when it is older than the grace window).
    """

    post: datetime | None
    skipped: int
    next_due: datetime


def catch_up(rec: Recurrence, next_due: datetime, now: datetime, tz: str, grace: timedelta) -> CatchUp:
    """Decide, from the stored ``next_due``, what a schedule should do at ``now``.

    Nothing is due while ``next_due`` is in the future. Otherwise only the latest occurrence that came due
    (``next_due`` itself, or a later one up to ``now``) may be posted, and only if it is at most ``grace`` old: a
    prompt meant for 09:00 is still welcome at 09:10, not at 17:00, and never three at once after a long outage.
    The next due moment is the first occurrence strictly after ``now``, so a moment is never posted twice.
    """
    _require_aware(next_due, "next_due")
    _require_aware(now, "now")
    if next_due > now:
        return CatchUp(post=None, skipped=0, next_due=next_due)
    missed = [next_due.astimezone(UTC), *occurrences_between(rec, next_due, now, tz)]
    latest = missed[-1]
    post = latest if now - latest <= grace else None
    return CatchUp(post=post, skipped=len(missed) - (1 if post else 0), next_due=next_occurrence(rec, now, tz))
