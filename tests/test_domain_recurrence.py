"""Recurring schedules: parsing, wall-time occurrences across daylight saving, the gap and overlap rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.recurrence import (
    ALL_DAYS,
    MAX_INTERVAL_WEEKS,
    Recurrence,
    bind_anchor,
    local_time_issue,
    next_occurrence,
    occurrences_between,
    parse_when,
    resolve_wall_time,
)
from bot.domain.refusal import Refusal

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
ALL_OPTIONS = {"allow_daily": True, "allow_multi_day": True, "allow_interval": True}
PROMPT_OPTIONS = {"allow_daily": True, "allow_multi_day": False, "allow_interval": False}
CIRCLE_OPTIONS = {"allow_daily": False, "allow_multi_day": True, "allow_interval": True}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


def daily(hour: int, minute: int = 0) -> Recurrence:
    return Recurrence(weekdays=ALL_DAYS, hour=hour, minute=minute)


def weekly(*days: int, hour: int, minute: int = 0) -> Recurrence:
    return Recurrence(weekdays=frozenset(days), hour=hour, minute=minute)


# --- parsing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily 09:00", daily(9)),
        ("Daily 9:00", daily(9)),
        ("every day at 9am", daily(9)),
        ("DAILY 21:05", daily(21, 5)),
        ("weekly tue 19:00", weekly(TUE, hour=19)),
        ("weekly Tuesday 19:00", weekly(TUE, hour=19)),
        ("tues 7pm", weekly(TUE, hour=19)),
        ("thur 7:30pm", weekly(THU, hour=19, minute=30)),
        ("thurs 7:30 PM", weekly(THU, hour=19, minute=30)),
        ("weekly mon 12am", weekly(MON, hour=0)),
        ("weekly mon 12pm", weekly(MON, hour=12)),
        ("weekly sun 19.00", weekly(SUN, hour=19)),
        ("every wednesday at 08:15", weekly(WED, hour=8, minute=15)),
        ("weekly tue,thu 19:00", weekly(TUE, THU, hour=19)),
        ("weekly tuesday, thursday 19:00", weekly(TUE, THU, hour=19)),
        ("Mondays and Fridays 18:00", weekly(MON, FRI, hour=18)),
        ("weekly sat/sun 10:00", weekly(SAT, SUN, hour=10)),
        ("weekdays 07:45", weekly(MON, TUE, WED, THU, FRI, hour=7, minute=45)),
        (
            "every 2 weeks mon 18:30",
            Recurrence(weekdays=frozenset({MON}), hour=18, minute=30, interval_weeks=2),
        ),
        (
            "Every 3 Weeks on Friday at 6pm",
            Recurrence(weekdays=frozenset({FRI}), hour=18, minute=0, interval_weeks=3),
        ),
        (
            "every other week wed 20:00",
            Recurrence(weekdays=frozenset({WED}), hour=20, minute=0, interval_weeks=2),
        ),
        ("fortnightly sun 10:00", Recurrence(weekdays=frozenset({SUN}), hour=10, minute=0, interval_weeks=2)),
        ("every 1 week mon 10:00", weekly(MON, hour=10)),
        ("  weekly   tue   19:00  ", weekly(TUE, hour=19)),
    ],
)
def test_parse_when_accepts_forgiving_forms(text: str, expected: Recurrence) -> None:
    parsed = parse_when(text, **ALL_OPTIONS)
    assert parsed == expected
    assert parsed.anchor is None


@pytest.mark.parametrize(
    ("text", "options", "problem"),
    [
        ("", ALL_OPTIONS, "didn't get a schedule"),
        ("daily", ALL_OPTIONS, "couldn't find a time"),
        ("weekly mon", ALL_OPTIONS, "couldn't find a time"),
        ("weekly mon 25:00", ALL_OPTIONS, "couldn't read that time"),
        ("weekly mon 19:75", ALL_OPTIONS, "couldn't read that time"),
        ("weekly mon 13pm", ALL_OPTIONS, "couldn't read that time"),
        ("weekly mon 19:00 20:00", ALL_OPTIONS, "more than one time"),
        ("weekly funday 19:00", ALL_OPTIONS, "as a day"),
        ("weekly t 19:00", ALL_OPTIONS, "as a day"),
        ("weekly 19:00", ALL_OPTIONS, "couldn't find a day"),
        ("daily mon 09:00", ALL_OPTIONS, "both daily and a day"),
        ("every 2 weeks daily 09:00", ALL_OPTIONS, "don't go together"),
        ("every 9 weeks mon 10:00", ALL_OPTIONS, f"Every 1 to {MAX_INTERVAL_WEEKS} weeks"),
        ("every 0 weeks mon 10:00", ALL_OPTIONS, f"Every 1 to {MAX_INTERVAL_WEEKS} weeks"),
        ("daily 09:00", CIRCLE_OPTIONS, "needs a day of the week"),
        ("weekly tue,thu 19:00", PROMPT_OPTIONS, "takes one day"),
        ("weekdays 19:00", PROMPT_OPTIONS, "takes one day"),
        ("every 2 weeks mon 18:30", PROMPT_OPTIONS, "repeats every week"),
    ],
)
def test_parse_when_refuses_kindly(text: str, options: dict[str, bool], problem: str) -> None:
    with pytest.raises(Refusal) as caught:
        parse_when(text, **options)
    message = caught.value.message
    assert problem in message
    assert str(caught.value) == message
    assert "`weekly mon 19:30`" in message
    assert ("`daily 09:00`" in message) == options["allow_daily"]
    assert ("`weekly tue,thu 19:00`" in message) == options["allow_multi_day"]
    assert ("`every 2 weeks mon 18:30`" in message) == options["allow_interval"]
    assert "Traceback" not in message


def test_error_message_examples_read_as_a_sentence() -> None:
    with pytest.raises(Refusal) as caught:
        parse_when("sometime", allow_daily=True, allow_multi_day=False, allow_interval=False)
    assert caught.value.message == "I couldn't find a time in that. Try `daily 09:00` or `weekly mon 19:30`."


# --- the value ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rec", "words"),
    [
        (daily(9), "every day at 09:00"),
        (weekly(TUE, hour=19), "every Tuesday at 19:00"),
        (weekly(TUE, THU, hour=19), "every Tuesday and Thursday at 19:00"),
        (weekly(MON, WED, FRI, hour=7, minute=5), "every Monday, Wednesday and Friday at 07:05"),
        (Recurrence(frozenset({MON}), 18, 30, interval_weeks=2), "every 2 weeks on Monday at 18:30"),
        (
            Recurrence(frozenset({MON, THU}), 18, 30, interval_weeks=3),
            "every 3 weeks on Monday and Thursday at 18:30",
        ),
    ],
)
def test_describe_in_plain_words(rec: Recurrence, words: str) -> None:
    assert rec.describe() == words


def test_json_round_trip_keeps_the_anchor() -> None:
    rec = Recurrence(frozenset({MON, THU}), 18, 30, interval_weeks=2, anchor=date(2026, 12, 21))
    assert Recurrence.from_json(rec.to_json()) == rec
    assert Recurrence.from_json(daily(9).to_json()) == daily(9)


@pytest.mark.parametrize("text", ["", "{}", "[]", '{"weekdays": [9], "hour": 1, "minute": 0}', "nonsense"])
def test_from_json_refuses_what_it_did_not_write(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        Recurrence.from_json(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weekdays": frozenset(), "hour": 9, "minute": 0},
        {"weekdays": frozenset({7}), "hour": 9, "minute": 0},
        {"weekdays": frozenset({MON}), "hour": 24, "minute": 0},
        {"weekdays": frozenset({MON}), "hour": 9, "minute": 60},
        {"weekdays": frozenset({MON}), "hour": 9, "minute": 0, "interval_weeks": 0},
        {"weekdays": frozenset({MON}), "hour": 9, "minute": 0, "interval_weeks": MAX_INTERVAL_WEEKS + 1},
        {
            "weekdays": frozenset({MON}),
            "hour": 9,
            "minute": 0,
            "interval_weeks": 2,
            "anchor": date(2026, 1, 6),
        },
    ],
)
def test_recurrence_refuses_impossible_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        Recurrence(**kwargs)  # type: ignore[arg-type]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrence(daily(9), datetime(2026, 1, 1), "UTC")  # noqa: DTZ001 - the point of the test


# --- wall time across daylight saving -----------------------------------------------------------------


def test_daily_0900_berlin_stays_at_0900_across_both_changes() -> None:
    rec = daily(9)
    spring = occurrences_between(rec, utc(2026, 3, 27), utc(2026, 3, 31), "Europe/Berlin")
    assert spring == [utc(2026, 3, 27, 8), utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]
    autumn = occurrences_between(rec, utc(2026, 10, 23), utc(2026, 10, 27), "Europe/Berlin")
    assert autumn == [utc(2026, 10, 23, 7), utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)]
    for instant in spring + autumn:
        assert instant.astimezone(ZoneInfo("Europe/Berlin")).time() == time(9, 0)


def test_weekly_tuesday_london_across_both_changes() -> None:
    rec = weekly(TUE, hour=19)
    assert occurrences_between(rec, utc(2026, 3, 20), utc(2026, 4, 2), "Europe/London") == [
        utc(2026, 3, 24, 19),
        utc(2026, 3, 31, 18),
    ]
    assert occurrences_between(rec, utc(2026, 10, 16), utc(2026, 10, 29), "Europe/London") == [
        utc(2026, 10, 20, 18),
        utc(2026, 10, 27, 19),
    ]


def test_several_days_new_york_across_both_changes() -> None:
    rec = weekly(MON, THU, hour=18, minute=30)
    tz = "America/New_York"
    # DST starts on Sunday 8 March 2026 and ends on Sunday 1 November 2026.
    assert occurrences_between(rec, utc(2026, 3, 4), utc(2026, 3, 13), tz) == [
        utc(2026, 3, 5, 23, 30),
        utc(2026, 3, 9, 22, 30),
        utc(2026, 3, 12, 22, 30),
    ]
    assert occurrences_between(rec, utc(2026, 10, 28), utc(2026, 11, 6), tz) == [
        utc(2026, 10, 29, 22, 30),
        utc(2026, 11, 2, 23, 30),
        utc(2026, 11, 5, 23, 30),
    ]


def test_auckland_southern_hemisphere() -> None:
    rec = daily(9)
    tz = "Pacific/Auckland"
    # NZDT (+13) ends on Sunday 5 April 2026; NZST (+12) gives way to NZDT on Sunday 27 September 2026.
    assert occurrences_between(rec, utc(2026, 4, 3, 12), utc(2026, 4, 5, 12), tz) == [
        utc(2026, 4, 3, 20),
        utc(2026, 4, 4, 21),
    ]
    assert occurrences_between(rec, utc(2026, 9, 25, 12), utc(2026, 9, 27, 12), tz) == [
        utc(2026, 9, 25, 21),
        utc(2026, 9, 26, 20),
    ]


def test_several_days_auckland_across_both_changes() -> None:
    rec = weekly(MON, SUN, hour=19)
    tz = "Pacific/Auckland"
    # Autumn: NZDT (+13) ends at 03:00 on Sunday 5 April 2026; 19:00 that evening is already NZST (+12).
    assert occurrences_between(rec, utc(2026, 3, 28), utc(2026, 4, 7), tz) == [
        utc(2026, 3, 29, 6),
        utc(2026, 3, 30, 6),
        utc(2026, 4, 5, 7),
        utc(2026, 4, 6, 7),
    ]
    # Spring: NZDT starts at 02:00 on Sunday 27 September 2026.
    assert occurrences_between(rec, utc(2026, 9, 19), utc(2026, 9, 29), tz) == [
        utc(2026, 9, 20, 7),
        utc(2026, 9, 21, 7),
        utc(2026, 9, 27, 6),
        utc(2026, 9, 28, 6),
    ]


# --- every N weeks ---------------------------------------------------------------------------------------


def test_every_two_weeks_keeps_its_rhythm_across_the_new_year() -> None:
    # 2026 has an ISO week 53: counting ISO week numbers modulo 2 would slip here, counting days does not.
    rec = bind_anchor(parse_when("every 2 weeks mon 18:30", **ALL_OPTIONS), now=utc(2026, 12, 17), tz="Europe/Berlin")
    assert rec.anchor == date(2026, 12, 21)
    assert occurrences_between(rec, utc(2026, 12, 17), utc(2027, 2, 2), "Europe/Berlin") == [
        utc(2026, 12, 21, 17, 30),
        utc(2027, 1, 4, 17, 30),
        utc(2027, 1, 18, 17, 30),
        utc(2027, 2, 1, 17, 30),
    ]


def test_every_three_weeks_several_days_across_spring_forward() -> None:
    rec = Recurrence(frozenset({TUE, THU}), 19, 0, interval_weeks=3, anchor=date(2026, 3, 2))
    assert occurrences_between(rec, utc(2026, 3, 1), utc(2026, 4, 30), "Europe/Berlin") == [
        utc(2026, 3, 3, 18),
        utc(2026, 3, 5, 18),
        utc(2026, 3, 24, 18),
        utc(2026, 3, 26, 18),
        utc(2026, 4, 14, 17),
        utc(2026, 4, 16, 17),
    ]


def test_every_two_weeks_london_at_0130_through_the_gap_and_the_overlap() -> None:
    # 01:30 on Sunday 29 March 2026 does not exist in London (01:00 GMT becomes 02:00 BST): once, at the jump.
    # 01:30 on Sunday 25 October 2026 comes twice (BST, then GMT): once, the first time. Both weeks are active.
    rec = Recurrence(frozenset({SUN}), 1, 30, interval_weeks=2, anchor=date(2026, 3, 9))
    assert occurrences_between(rec, utc(2026, 3, 14), utc(2026, 4, 13), "Europe/London") == [
        utc(2026, 3, 15, 1, 30),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 4, 12, 0, 30),
    ]
    assert occurrences_between(rec, utc(2026, 10, 10), utc(2026, 11, 9), "Europe/London") == [
        utc(2026, 10, 11, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 11, 8, 1, 30),
    ]


def test_every_two_weeks_weekend_new_york_across_both_changes() -> None:
    rec = Recurrence(frozenset({SAT, SUN}), 10, 0, interval_weeks=2, anchor=date(2026, 3, 2))
    tz = "America/New_York"
    # The clocks change between Saturday and Sunday of an active week, both in March and in November.
    assert occurrences_between(rec, utc(2026, 3, 1), utc(2026, 3, 23), tz) == [
        utc(2026, 3, 7, 15),
        utc(2026, 3, 8, 14),
        utc(2026, 3, 21, 14),
        utc(2026, 3, 22, 14),
    ]
    assert occurrences_between(rec, utc(2026, 10, 30), utc(2026, 11, 16), tz) == [
        utc(2026, 10, 31, 14),
        utc(2026, 11, 1, 15),
        utc(2026, 11, 14, 15),
        utc(2026, 11, 15, 15),
    ]
    for instant in occurrences_between(rec, utc(2026, 1, 1), utc(2027, 1, 1), tz):
        assert instant.astimezone(ZoneInfo(tz)).time() == time(10, 0)


def test_every_two_weeks_auckland_overlap_fires_once() -> None:
    # 02:30 on Sunday 5 April 2026 comes twice in Auckland (03:00 NZDT becomes 02:00 NZST): only the first counts.
    rec = Recurrence(frozenset({SUN}), 2, 30, interval_weeks=2, anchor=date(2026, 3, 30))
    assert occurrences_between(rec, utc(2026, 3, 28), utc(2026, 4, 20), "Pacific/Auckland") == [
        utc(2026, 4, 4, 13, 30),
        utc(2026, 4, 18, 14, 30),
    ]


def test_no_occurrence_before_the_anchor_week() -> None:
    rec = Recurrence(frozenset({MON}), 18, 30, interval_weeks=2, anchor=date(2026, 12, 21))
    assert next_occurrence(rec, utc(2026, 11, 1), "Europe/Berlin") == utc(2026, 12, 21, 17, 30)


def test_bind_anchor_uses_the_week_of_the_first_occurrence() -> None:
    rec = parse_when("every 2 weeks sun 10:00", **ALL_OPTIONS)
    # Sunday 21:00 in Auckland is already past 10:00, so the first occurrence is next Sunday.
    bound = bind_anchor(rec, now=local("Pacific/Auckland", 2026, 6, 7, 21), tz="Pacific/Auckland")
    assert bound.anchor == date(2026, 6, 8)
    assert next_occurrence(bound, utc(2026, 6, 7), "Pacific/Auckland") == local("Pacific/Auckland", 2026, 6, 14, 10)
    assert bind_anchor(bound, now=utc(2030, 1, 1), tz="UTC") == bound
    assert bind_anchor(daily(9), now=utc(2030, 1, 1), tz="UTC") == daily(9)


def test_unanchored_interval_is_a_programming_error() -> None:
    rec = parse_when("every 2 weeks mon 18:30", **ALL_OPTIONS)
    with pytest.raises(ValueError, match="bind_anchor"):
        next_occurrence(rec, utc(2026, 1, 1), "UTC")


# --- the gap and the overlap ------------------------------------------------------------------------------


def test_berlin_gap_fires_once_when_the_clocks_jump() -> None:
    # Sunday 29 March 2026: 02:00 CET (01:00 UTC) becomes 03:00 CEST; 02:30 does not exist.
    rec = daily(2, 30)
    assert occurrences_between(rec, utc(2026, 3, 28), utc(2026, 3, 30, 12), "Europe/Berlin") == [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 30, 0, 30),
    ]
    assert utc(2026, 3, 29, 1).astimezone(ZoneInfo("Europe/Berlin")).time() == time(3, 0)
    assert next_occurrence(rec, utc(2026, 3, 29, 0, 59), "Europe/Berlin") == utc(2026, 3, 29, 1)
    assert next_occurrence(rec, utc(2026, 3, 29, 1), "Europe/Berlin") == utc(2026, 3, 30, 0, 30)


def test_berlin_overlap_fires_only_the_first_time() -> None:
    # Sunday 25 October 2026: 03:00 CEST (01:00 UTC) becomes 02:00 CET; 02:30 comes at 00:30 and 01:30 UTC.
    rec = daily(2, 30)
    assert occurrences_between(rec, utc(2026, 10, 24), utc(2026, 10, 26, 12), "Europe/Berlin") == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ]
    assert next_occurrence(rec, utc(2026, 10, 25, 0, 30), "Europe/Berlin") == utc(2026, 10, 26, 1, 30)


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected"),
    [
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Pacific/Auckland", date(2026, 9, 27), time(2, 30), utc(2026, 9, 26, 14)),
        ("Pacific/Auckland", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 13, 30)),
        ("Europe/London", date(2026, 3, 29), time(1, 15), utc(2026, 3, 29, 1)),
        # Lord Howe moves by half an hour: 02:00 becomes 02:30 on Sunday 4 October 2026.
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 10), utc(2026, 10, 3, 15, 30)),
    ],
)
def test_gap_and_overlap_elsewhere(tz: str, day: date, wall: time, expected: datetime) -> None:
    assert resolve_wall_time(day, wall, ZoneInfo(tz)) == expected


def test_local_time_issue_explains_gap_and_overlap() -> None:
    note = local_time_issue(weekly(SUN, hour=2, minute=30), "Europe/Berlin", utc(2026, 1, 1))
    assert note is not None
    assert "Sunday 29 March 2026" in note
    assert "at 03:00" in note
    assert "Sunday 25 October 2026" in note
    assert "only once, the first time" in note


def test_local_time_issue_gap_only_for_new_york_at_0230() -> None:
    note = local_time_issue(daily(2, 30), "America/New_York", utc(2026, 1, 1))
    assert note is not None
    assert "Sunday 8 March 2026" in note
    assert "comes twice" not in note


@pytest.mark.parametrize(
    ("rec", "tz"),
    [
        (daily(19), "Europe/Berlin"),
        (weekly(TUE, hour=2, minute=30), "Europe/Berlin"),  # Berlin changes its clocks on Sundays only
        (daily(2, 30), "UTC"),
        (daily(2, 30), "Asia/Kolkata"),
    ],
)
def test_local_time_issue_is_quiet_when_nothing_happens(rec: Recurrence, tz: str) -> None:
    assert local_time_issue(rec, tz, utc(2026, 1, 1)) is None


# --- properties --------------------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Sao_Paulo",  # until 2019 its clocks jumped at midnight
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
]


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    interval = draw(st.integers(1, MAX_INTERVAL_WEEKS))
    anchor = None
    if interval > 1:
        anchor = date(2015, 1, 5) + timedelta(weeks=draw(st.integers(0, 52 * 20)))
    # Bias towards the small hours, where the clocks change.
    hour = draw(st.one_of(st.integers(0, 3), st.integers(0, 23)))
    minute = draw(st.sampled_from([0, 15, 30, 45, 59]) | st.integers(0, 59))
    return Recurrence(weekdays=days, hour=hour, minute=minute, interval_weeks=interval, anchor=anchor)


instants = st.datetimes(
    min_value=datetime(2015, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones= makes them UTC
    max_value=datetime(2036, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def _expected_next(rec: Recurrence, after: datetime, zone: ZoneInfo) -> datetime:
    """An independent, slow oracle: walk local dates, resolve gaps by scanning minute by minute."""
    day = after.astimezone(zone).date() - timedelta(days=1)
    while True:
        active = True
        if rec.anchor is not None:
            weeks = ((day - timedelta(days=day.weekday())) - rec.anchor).days // 7
            active = weeks >= 0 and weeks % rec.interval_weeks == 0
        if day.weekday() in rec.weekdays and active:
            naive = datetime.combine(day, time(rec.hour, rec.minute))
            candidate = naive.replace(tzinfo=zone).astimezone(UTC)
            if candidate.astimezone(zone).replace(tzinfo=None) != naive:
                probe = naive.replace(tzinfo=zone, fold=1).astimezone(UTC).replace(second=0)
                while probe.astimezone(zone).replace(tzinfo=None) <= naive:
                    probe += timedelta(minutes=1)
                candidate = probe
            if candidate > after:
                return candidate
        day += timedelta(days=1)


@cache
def _transitions(tz: str) -> tuple[datetime, ...]:
    """The instants (to the minute) when ``tz`` changed its offset between 2015 and 2036."""
    zone = ZoneInfo(tz)
    found = []
    day = utc(2015, 1, 1)
    offset = day.astimezone(zone).utcoffset()
    while day < utc(2037, 1, 1):
        following = day + timedelta(days=1)
        if following.astimezone(zone).utcoffset() != offset:
            low, high = 0, 24 * 60  # minutes after ``day``: offset unchanged at low, changed at high
            while high - low > 1:
                middle = (low + high) // 2
                if (day + timedelta(minutes=middle)).astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(day + timedelta(minutes=high))
            offset = following.astimezone(zone).utcoffset()
        day = following
    return tuple(found)


@st.composite
def near_a_clock_change(draw: st.DrawFn) -> tuple[Recurrence, datetime, str]:
    """Draw a schedule whose wall time lies near a clock change, and an instant shortly before that change."""
    tz = draw(st.sampled_from([zone for zone in ZONES if _transitions(zone)]))
    change = draw(st.sampled_from(_transitions(tz)))
    zone = ZoneInfo(tz)
    # The wall time the clocks showed just before the change, moved by up to 75 minutes either way.
    before = (change - timedelta(minutes=1)).astimezone(zone) + timedelta(minutes=1)
    wall = (before.replace(tzinfo=None) + timedelta(minutes=draw(st.integers(-75, 75)))).time()
    days = draw(st.frozensets(st.integers(0, 6))) | {before.weekday()}
    interval = draw(st.integers(1, 3))
    anchor = None
    if interval > 1:
        monday = before.date() - timedelta(days=before.weekday())
        anchor = monday - timedelta(weeks=interval * draw(st.integers(0, 30)))
    rec = Recurrence(frozenset(days), wall.hour, wall.minute, interval_weeks=interval, anchor=anchor)
    after = change - timedelta(minutes=draw(st.integers(0, 8 * 24 * 60)))
    return rec, after, tz


@settings(max_examples=300, deadline=None)
@given(case=st.one_of(st.tuples(recurrences(), instants, st.sampled_from(ZONES)), near_a_clock_change()))
def test_next_occurrence_properties(case: tuple[Recurrence, datetime, str]) -> None:
    rec, after, tz = case
    zone = ZoneInfo(tz)
    found = next_occurrence(rec, after, tz)
    assert found > after
    assert found.utcoffset() == timedelta(0)
    assert found == _expected_next(rec, after, zone)

    local_wall = found.astimezone(zone)
    assert local_wall.weekday() in rec.weekdays
    if (local_wall.hour, local_wall.minute, local_wall.second) == (rec.hour, rec.minute, 0):
        assert local_wall.fold == 0, "an ambiguous wall time fires at its first instant only"
    else:
        # The gap rule: the wall time did not exist, and this is the instant the clocks jumped over it.
        wanted = datetime.combine(local_wall.date(), time(rec.hour, rec.minute))
        assert wanted.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wanted
        assert (found - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None) < wanted
        assert local_wall.replace(tzinfo=None) > wanted

    following = [found]
    for _ in range(4):
        following.append(next_occurrence(rec, following[-1], tz))
    assert all(a < b for a, b in pairwise(following))
    assert occurrences_between(rec, after, following[-1], tz) == following
