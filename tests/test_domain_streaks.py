"""Forgiving attendance streaks: attendance, series and weekly streaks, freezes, local weeks, milestones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.streaks import (
    MAX_FREEZES,
    MILESTONES,
    SessionRecord,
    StreakInfo,
    StreakSummary,
    attended,
    compute_streaks,
    milestone_crossed,
    next_milestone,
    tally_streaks,
)

BERLIN = "Europe/Berlin"
SERIES = 7
# Monday 5 January 2026, 19:00 in Berlin; sessions below are one week apart from here.
FIRST_MONDAY = datetime(2026, 1, 5, 19, tzinfo=ZoneInfo(BERLIN))
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def at(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


def weekly_series(pattern: str, *, series_id: int | None = SERIES) -> tuple[list[SessionRecord], set[int]]:
    """One session a week; the pattern says, per week: A attended, M missed, C cancelled, B bot was down."""
    sessions, attended_ids = [], set()
    for index, mark in enumerate(pattern):
        session_id = index + 1
        sessions.append(
            SessionRecord(
                session_id=session_id,
                series_id=series_id,
                started_at=FIRST_MONDAY + timedelta(weeks=index),
                cancelled=mark == "C",
                bot_missed=mark == "B",
            )
        )
        if mark == "A":
            attended_ids.add(session_id)
    return sessions, attended_ids


def streaks_of(pattern: str, *, now: datetime = LATER) -> StreakSummary:
    sessions, attended_ids = weekly_series(pattern)
    return compute_streaks(sessions, attended_ids, tz=BERLIN, now=now)


# --- attended ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("joined_round", "rounds", "taken", "passed", "expected"),
    [
        (0, 3, 1, 0, True),
        (0, 3, 0, 1, True),  # passing is taking part
        (0, 3, 0, 0, False),  # present but never took or passed a turn
        (1, 3, 1, 0, True),
        (2, 3, 0, 2, True),
        (3, 3, 1, 0, False),  # joined during the last round
        (0, 1, 1, 0, True),
        (1, 1, 1, 0, False),  # a one-round circle: joining during it is joining the last round
        (0, 0, 0, 0, False),  # ended before any round
    ],
)
def test_attended(joined_round: int, rounds: int, taken: int, passed: int, expected: bool) -> None:
    assert attended(joined_round=joined_round, rounds=rounds, turns_taken=taken, turns_passed=passed) is expected


def test_attended_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        attended(joined_round=-1, rounds=3, turns_taken=1, turns_passed=0)


# --- milestones ----------------------------------------------------------------------------------------


def test_milestones_are_the_documented_ones() -> None:
    assert MILESTONES == (1, 3, 5, 10, 25, 50, 100)


@pytest.mark.parametrize(
    ("before", "after", "crossed"),
    [(0, 1, 1), (1, 2, None), (2, 3, 3), (4, 5, 5), (9, 10, 10), (24, 25, 25), (49, 50, 50), (99, 100, 100)],
)
def test_milestone_crossed_one_step(before: int, after: int, crossed: int | None) -> None:
    assert milestone_crossed(before, after) == crossed


def test_milestone_crossed_several_at_once_reports_the_highest() -> None:
    assert milestone_crossed(0, 4) == 3
    assert milestone_crossed(3, 3) is None
    assert milestone_crossed(100, 150) is None


@pytest.mark.parametrize(("count", "expected"), [(0, 1), (1, 3), (2, 3), (3, 5), (10, 25), (99, 100), (100, None)])
def test_next_milestone(count: int, expected: int | None) -> None:
    assert next_milestone(count) == expected


# --- series streaks and freezes ----------------------------------------------------------------------


def test_series_counts_sessions_in_a_row() -> None:
    summary = streaks_of("AAA")
    assert summary.series[SERIES] == StreakInfo(current=3, longest=3, freezes=0)
    assert summary.sessions_attended == 3
    assert summary.next_milestone == 5


def test_a_miss_with_no_freeze_starts_again() -> None:
    assert streaks_of("AAMA").series[SERIES] == StreakInfo(current=1, longest=2, freezes=0)
    assert streaks_of("AAM").series[SERIES] == StreakInfo(current=0, longest=2, freezes=0)


def test_four_in_a_row_earn_a_freeze_that_covers_a_miss_without_counting_it() -> None:
    assert streaks_of("AAAA").series[SERIES] == StreakInfo(current=4, longest=4, freezes=1)
    assert streaks_of("AAAAM").series[SERIES] == StreakInfo(current=4, longest=4, freezes=0)
    assert streaks_of("AAAAMA").series[SERIES] == StreakInfo(current=5, longest=5, freezes=0)


def test_the_bank_holds_at_most_two_freezes() -> None:
    assert streaks_of("A" * 12).series[SERIES] == StreakInfo(current=12, longest=12, freezes=MAX_FREEZES)
    assert streaks_of("A" * 12 + "MM" + "A").series[SERIES] == StreakInfo(current=13, longest=13, freezes=0)
    assert streaks_of("A" * 12 + "MMM" + "A").series[SERIES] == StreakInfo(current=1, longest=12, freezes=0)


def test_in_a_row_starts_again_after_a_covered_miss() -> None:
    # Six in a row earn one freeze (at 4); the miss spends it; the count towards the next starts from zero.
    assert streaks_of("AAAAAAMAA").series[SERIES] == StreakInfo(current=8, longest=8, freezes=0)
    assert streaks_of("AAAAAAMAAAA").series[SERIES] == StreakInfo(current=10, longest=10, freezes=1)


def test_order_is_by_start_time_not_by_id() -> None:
    # A rescheduled session can have a later id but an earlier start.
    sessions, attended_ids = weekly_series("AAAAM")
    reversed_ids = [s._replace(session_id=100 - s.session_id) for s in sessions]
    summary = compute_streaks(reversed_ids, {100 - i for i in attended_ids}, tz=BERLIN, now=LATER)
    assert summary.series[SERIES] == StreakInfo(current=4, longest=4, freezes=0)


@pytest.mark.parametrize("void", ["C", "B"])
def test_cancelled_or_bot_missed_sessions_neither_count_nor_break(void: str) -> None:
    summary = streaks_of(f"AA{void}{void}{void}A")
    assert summary.series[SERIES] == StreakInfo(current=3, longest=3, freezes=0)
    assert summary.sessions_attended == 3


def test_a_cancelled_session_someone_is_recorded_in_does_not_count() -> None:
    sessions, attended_ids = weekly_series("AAC")
    summary = compute_streaks(sessions, attended_ids | {3}, tz=BERLIN, now=LATER)
    assert summary.sessions_attended == 2


def test_sessions_before_the_first_attended_one_do_not_break() -> None:
    assert streaks_of("MMMAA").series[SERIES] == StreakInfo(current=2, longest=2, freezes=0)


def test_each_series_has_its_own_streak_and_bank() -> None:
    tuesday = FIRST_MONDAY + timedelta(days=1)
    sessions = [SessionRecord(i, 1, FIRST_MONDAY + timedelta(weeks=i)) for i in range(5)]
    sessions += [SessionRecord(100 + i, 2, tuesday + timedelta(weeks=i)) for i in range(5)]
    attended_ids = {0, 1, 2, 3, 4, 103, 104}
    summary = compute_streaks(sessions, attended_ids, tz=BERLIN, now=LATER)
    assert summary.series == {1: StreakInfo(5, 5, 1), 2: StreakInfo(2, 2, 0)}
    assert summary.sessions_attended == 7


def test_a_skipped_session_between_attended_ones_keeps_the_series_streak_whole() -> None:
    # Week 3's session was skipped by a facilitator and week 5's fell into the bot's downtime: 4 sessions in a row.
    summary = streaks_of("AACABA")
    assert summary.series[SERIES] == StreakInfo(current=4, longest=4, freezes=1)
    # The weekly streak skips those weeks too: no circle was held in them.
    assert summary.weekly == StreakInfo(current=4, longest=4, freezes=1)


def test_best_series_is_the_longest_current_then_longest_ever_then_lowest_id() -> None:
    def summary(series: dict[int, StreakInfo]) -> StreakSummary:
        return StreakSummary(0, StreakInfo(), series, StreakInfo(), 1)

    assert summary({}).best_series() is None
    assert summary({1: StreakInfo(2, 9), 2: StreakInfo(3, 3)}).best_series() == (2, StreakInfo(3, 3))
    assert summary({1: StreakInfo(0, 2), 2: StreakInfo(0, 5)}).best_series() == (2, StreakInfo(0, 5))
    assert summary({4: StreakInfo(3, 3), 2: StreakInfo(3, 3)}).best_series() == (2, StreakInfo(3, 3))


def test_series_never_attended_is_not_listed() -> None:
    sessions, attended_ids = weekly_series("AAA", series_id=None)
    sessions.append(SessionRecord(99, 3, FIRST_MONDAY + timedelta(days=2)))
    summary = compute_streaks(sessions, attended_ids, tz=BERLIN, now=LATER)
    assert summary.series == {}
    assert summary.weekly.current == 3


# --- weekly streaks -------------------------------------------------------------------------------------


def test_weekly_counts_weeks_with_at_least_one_circle() -> None:
    sessions = [
        SessionRecord(1, None, FIRST_MONDAY),
        SessionRecord(2, None, FIRST_MONDAY + timedelta(days=3)),  # same week
        SessionRecord(3, None, FIRST_MONDAY + timedelta(weeks=1)),
        SessionRecord(4, None, FIRST_MONDAY + timedelta(weeks=2, days=6)),  # Sunday 19:00
    ]
    summary = compute_streaks(sessions, {1, 2, 3, 4}, tz=BERLIN, now=LATER)
    assert summary.weekly == StreakInfo(current=3, longest=3, freezes=0)
    assert summary.sessions_attended == 4


def test_weekly_skips_weeks_the_server_held_no_circle() -> None:
    sessions = [
        SessionRecord(1, None, FIRST_MONDAY),
        SessionRecord(2, None, FIRST_MONDAY + timedelta(weeks=5)),
    ]
    assert compute_streaks(sessions, {1, 2}, tz=BERLIN, now=LATER).weekly == StreakInfo(2, 2, 0)


def test_weekly_missed_week_breaks_and_freezes_cover() -> None:
    assert streaks_of("AAM").weekly == StreakInfo(current=0, longest=2, freezes=0)
    assert streaks_of("AAAAMA").weekly == StreakInfo(current=5, longest=5, freezes=0)
    assert streaks_of("AAAAMMA").weekly == StreakInfo(current=1, longest=4, freezes=0)


def test_weekly_bank_is_separate_from_the_series_bank() -> None:
    # Two sessions a week in one series: the series earns a freeze every 2 weeks, the weekly streak every 4.
    sessions = [SessionRecord(i, SERIES, FIRST_MONDAY + timedelta(weeks=i // 2, days=2 * (i % 2))) for i in range(8)]
    summary = compute_streaks(sessions, set(range(8)), tz=BERLIN, now=LATER)
    assert summary.series[SERIES] == StreakInfo(8, 8, 2)
    assert summary.weekly == StreakInfo(4, 4, 1)


def test_the_current_week_does_not_break_the_weekly_streak() -> None:
    # Weeks 0-2 attended; week 3's circle was on Monday and missed, and it is still Wednesday of week 3.
    wednesday_of_week_3 = FIRST_MONDAY + timedelta(weeks=3, days=2)
    summary = streaks_of("AAAM", now=wednesday_of_week_3)
    assert summary.weekly == StreakInfo(current=3, longest=3, freezes=0)
    # The series streak is about sessions, and that session is over.
    assert summary.series[SERIES].current == 0
    # Once the week is over, it is a missed week.
    next_monday = FIRST_MONDAY + timedelta(weeks=4)
    assert streaks_of("AAAM", now=next_monday).weekly.current == 0


def test_a_circle_in_the_current_week_counts_at_once() -> None:
    assert streaks_of("AAA", now=FIRST_MONDAY + timedelta(weeks=2, hours=2)).weekly.current == 3


def test_sessions_after_now_are_ignored() -> None:
    summary = streaks_of("AAMMMM", now=FIRST_MONDAY + timedelta(weeks=1, hours=2))
    assert summary.series[SERIES] == StreakInfo(current=2, longest=2, freezes=0)


# --- local weeks ------------------------------------------------------------------------------------------


def _two_sessions(first: datetime, second: datetime, tz: str) -> StreakSummary:
    sessions = [SessionRecord(1, None, first), SessionRecord(2, None, second)]
    return compute_streaks(sessions, {1, 2}, tz=tz, now=LATER)


@pytest.mark.parametrize(
    ("tz", "sunday_late", "monday_early"),
    [
        # UTC+13: both are on Sunday in UTC (10:30 and 11:30), so the same UTC week.
        ("Pacific/Tongatapu", (2026, 6, 14, 23, 30), (2026, 6, 15, 0, 30)),
        ("Pacific/Fakaofo", (2026, 6, 14, 23, 30), (2026, 6, 15, 0, 30)),
        # UTC-11: both are on Monday in UTC (10:30 and 11:30), still local Sunday and Monday.
        ("Pacific/Pago_Pago", (2026, 6, 14, 23, 30), (2026, 6, 15, 0, 30)),
        # The nights the clocks change in Berlin.
        (BERLIN, (2026, 3, 29, 23, 30), (2026, 3, 30, 0, 30)),
        (BERLIN, (2026, 10, 25, 23, 30), (2026, 10, 26, 0, 30)),
        # And in the southern hemisphere.
        ("Pacific/Auckland", (2026, 4, 5, 23, 30), (2026, 4, 6, 0, 30)),
        ("Pacific/Auckland", (2026, 9, 27, 23, 30), (2026, 9, 28, 0, 30)),
    ],
)
def test_a_week_starts_at_local_midnight_on_monday(
    tz: str, sunday_late: tuple[int, int, int, int, int], monday_early: tuple[int, int, int, int, int]
) -> None:
    sunday, monday = at(tz, *sunday_late), at(tz, *monday_early)
    assert sunday.weekday() == 6
    assert monday.weekday() == 0
    assert _two_sessions(sunday, monday, tz).weekly.current == 2


def test_utc_plus_13_sunday_and_monday_share_a_utc_week_but_not_a_local_one() -> None:
    sunday, monday = at("Pacific/Tongatapu", 2026, 6, 14, 23, 30), at("Pacific/Tongatapu", 2026, 6, 15, 0, 30)
    assert sunday.astimezone(UTC).weekday() == monday.astimezone(UTC).weekday() == 6
    assert _two_sessions(sunday, monday, "UTC").weekly.current == 1
    assert _two_sessions(sunday, monday, "Pacific/Tongatapu").weekly.current == 2


def test_utc_minus_11_same_local_week_across_a_utc_week_boundary() -> None:
    # Sunday 12:30 and 13:30 in Pago Pago are Sunday 23:30 and Monday 00:30 in UTC.
    early, late = at("Pacific/Pago_Pago", 2026, 6, 14, 12, 30), at("Pacific/Pago_Pago", 2026, 6, 14, 13, 30)
    assert (early.astimezone(UTC).weekday(), late.astimezone(UTC).weekday()) == (6, 0)
    assert _two_sessions(early, late, "UTC").weekly.current == 2
    assert _two_sessions(early, late, "Pacific/Pago_Pago").weekly.current == 1


# --- headline and input handling ---------------------------------------------------------------------


def test_headline_tie_goes_to_the_weekly_streak() -> None:
    # Two series, one on Mondays (all attended), one on Tuesdays (last three attended); weekly = 5 weeks.
    sessions = [SessionRecord(i, 1, FIRST_MONDAY + timedelta(weeks=i)) for i in range(5)]
    sessions += [SessionRecord(10 + i, 2, FIRST_MONDAY + timedelta(weeks=i, days=1)) for i in range(5)]
    summary = compute_streaks(sessions, {0, 1, 2, 3, 4, 12, 13, 14}, tz=BERLIN, now=LATER)
    assert summary.weekly.current == 5
    assert summary.series[1].current == 5
    assert summary.headline == summary.weekly
    assert summary.headline_series_id is None  # a tie goes to the weekly streak


def test_series_beats_weekly_when_longer() -> None:
    # Two sessions a week of one series, all attended, for two weeks: 4 sessions in a row, 2 weeks.
    sessions = [SessionRecord(i, 3, FIRST_MONDAY + timedelta(weeks=i // 2, days=i % 2)) for i in range(4)]
    summary = compute_streaks(sessions, set(range(4)), tz=BERLIN, now=LATER)
    assert summary.weekly.current == 2
    assert summary.headline == summary.series[3] == StreakInfo(4, 4, 1)
    assert summary.headline_series_id == 3


def test_a_member_with_no_attendance() -> None:
    sessions, _ = weekly_series("MMM")
    summary = compute_streaks(sessions, set(), tz=BERLIN, now=LATER)
    assert summary == StreakSummary(
        sessions_attended=0,
        weekly=StreakInfo(),
        series={},
        headline=StreakInfo(),
        next_milestone=1,
        headline_series_id=None,
    )


def test_unknown_attended_ids_and_identical_duplicates_are_harmless() -> None:
    sessions, attended_ids = weekly_series("AA")
    summary = compute_streaks(sessions + sessions, attended_ids | {404}, tz=BERLIN, now=LATER)
    assert summary.sessions_attended == 2


def test_conflicting_duplicates_are_refused() -> None:
    sessions, attended_ids = weekly_series("AA")
    sessions.append(sessions[0]._replace(cancelled=True))
    with pytest.raises(ValueError, match="session 1"):
        compute_streaks(sessions, attended_ids, tz=BERLIN, now=LATER)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_streaks([SessionRecord(1, None, datetime(2026, 1, 1))], {1}, tz=BERLIN, now=LATER)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_streaks([], set(), tz=BERLIN, now=datetime(2026, 1, 1))  # noqa: DTZ001


# --- properties ------------------------------------------------------------------------------------------

ZONES = [BERLIN, "Pacific/Tongatapu", "Pacific/Pago_Pago", "Pacific/Auckland", "America/New_York", "UTC"]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[SessionRecord], set[int], str, datetime]:
    count = draw(st.integers(0, 40))
    # Hours since a start in 2026, so sessions cluster into weeks and land around the clock changes.
    hours = draw(st.lists(st.integers(0, 24 * 7 * 40), min_size=count, max_size=count))
    start = utc(2026, 1, 1)
    sessions = [
        SessionRecord(
            session_id=index,
            series_id=draw(st.sampled_from([None, 1, 2])),
            started_at=start + timedelta(hours=hour),
            cancelled=draw(st.integers(0, 9)) == 0,
            bot_missed=draw(st.integers(0, 14)) == 0,
        )
        for index, hour in enumerate(hours)
    ]
    attended_ids = {s.session_id for s in sessions if draw(st.integers(0, 3)) > 0}
    tz = draw(st.sampled_from(ZONES))
    now = start + timedelta(hours=draw(st.integers(0, 24 * 7 * 42)))
    return sessions, attended_ids, tz, now


@settings(max_examples=200, deadline=None)
@given(history=histories(), data=st.data())
def test_streaks_do_not_depend_on_arrival_order(
    history: tuple[list[SessionRecord], set[int], str, datetime], data: st.DataObject
) -> None:
    sessions, attended_ids, tz, now = history
    shuffled: Sequence[SessionRecord] = data.draw(st.permutations(sessions))
    assert compute_streaks(shuffled, list(attended_ids), tz=tz, now=now) == compute_streaks(
        sessions, attended_ids, tz=tz, now=now
    )


@settings(max_examples=200, deadline=None)
@given(history=histories(), where=st.integers(0, 24 * 7 * 40), bot_missed=st.booleans())
def test_a_cancelled_or_missed_session_never_changes_a_streak(
    history: tuple[list[SessionRecord], set[int], str, datetime], where: int, bot_missed: bool
) -> None:
    sessions, attended_ids, tz, now = history
    extra = SessionRecord(
        session_id=10_000,
        series_id=1,
        started_at=utc(2026, 1, 1) + timedelta(hours=where),
        cancelled=not bot_missed,
        bot_missed=bot_missed,
    )
    with_it = compute_streaks([*sessions, extra], attended_ids, tz=tz, now=now)
    assert with_it == compute_streaks(sessions, attended_ids, tz=tz, now=now)


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_streak_invariants(history: tuple[list[SessionRecord], set[int], str, datetime]) -> None:
    sessions, attended_ids, tz, now = history
    summary = compute_streaks(sessions, attended_ids, tz=tz, now=now)
    counted = [s for s in sessions if s.session_id in attended_ids and not s.void and s.started_at <= now]
    assert summary.sessions_attended == len(counted)
    assert summary.next_milestone == next_milestone(len(counted))
    for info in [summary.weekly, *summary.series.values()]:
        assert 0 <= info.current <= info.longest
        assert 0 <= info.freezes <= MAX_FREEZES
    assert summary.weekly.longest <= len({s.started_at.astimezone(ZoneInfo(tz)).isocalendar()[:2] for s in counted})
    for series_id, info in summary.series.items():
        assert info.longest <= sum(1 for s in counted if s.series_id == series_id)
    headline = max([summary.weekly, *summary.series.values()], key=lambda i: (i.current, i.longest))
    assert (summary.headline.current, summary.headline.longest) == (headline.current, headline.longest)


def _reference(sessions: list[SessionRecord], attended_ids: set[int], tz: str, now: datetime) -> StreakSummary:
    """The rules written the slow, obvious way: walk every calendar week, every series session."""
    zone = ZoneInfo(tz)

    def monday(moment: datetime) -> date:
        day = moment.astimezone(zone).date()
        return day - timedelta(days=day.weekday())

    held = [s for s in sessions if not s.void and s.started_at <= now]
    went = [s for s in held if s.session_id in attended_ids]

    def walk(marks: list[bool]) -> StreakInfo:
        current = longest = freezes = in_a_row = 0
        for mark in marks:
            if mark:
                current, in_a_row = current + 1, in_a_row + 1
                longest = max(longest, current)
                if in_a_row == 4:
                    freezes, in_a_row = min(MAX_FREEZES, freezes + 1), 0
            elif freezes:
                freezes, in_a_row = freezes - 1, 0
            else:
                current = in_a_row = 0
        return StreakInfo(current, longest, freezes)

    weekly = StreakInfo()
    if went:
        marks, week = [], min(monday(s.started_at) for s in went)
        while week <= monday(now):
            in_week = [s for s in held if monday(s.started_at) == week]
            if any(s in went for s in in_week):
                marks.append(True)
            elif in_week and week != monday(now):
                marks.append(False)
            week += timedelta(weeks=1)
        weekly = walk(marks)
    series = {}
    for series_id in sorted({s.series_id for s in went if s.series_id is not None}):
        ordered = sorted((s for s in held if s.series_id == series_id), key=lambda s: s.started_at)
        first = min(i for i, s in enumerate(ordered) if s in went)
        series[series_id] = walk([s in went for s in ordered[first:]])
    best_id, best = None, weekly
    for series_id, info in series.items():
        if (info.current, info.longest) > (best.current, best.longest):
            best_id, best = series_id, info
    return StreakSummary(len(went), weekly, series, best, next_milestone(len(went)), best_id)


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_streaks_match_the_slow_obvious_reading_of_the_rules(
    history: tuple[list[SessionRecord], set[int], str, datetime],
) -> None:
    sessions, attended_ids, tz, now = history
    assert compute_streaks(sessions, attended_ids, tz=tz, now=now) == _reference(sessions, attended_ids, tz, now)


@settings(max_examples=100, deadline=None)
@given(history=histories())
def test_attending_everything_makes_every_streak_whole(
    history: tuple[list[SessionRecord], set[int], str, datetime],
) -> None:
    sessions, _, tz, now = history
    held = [s for s in sessions if not s.void and s.started_at <= now]
    summary = compute_streaks(sessions, {s.session_id for s in sessions}, tz=tz, now=now)
    local_weeks = {s.started_at.astimezone(ZoneInfo(tz)).isocalendar()[:2] for s in held}
    assert summary.weekly.current == summary.weekly.longest == len(local_weeks)
    for series_id, info in summary.series.items():
        assert info.current == info.longest == sum(1 for s in held if s.series_id == series_id)


# --- week boundaries and freezes, as properties ------------------------------------------------------------

# Zones at the edges (UTC+13, UTC+14, UTC-11), with daylight saving in either hemisphere, and zones whose clocks
# change at midnight itself (Santiago, Havana, Asuncion, Beirut), where "local midnight" can be skipped or doubled.
EDGE_ZONES = [
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Pacific/Niue",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Santiago",
    "America/Havana",
    "America/Asuncion",
    "Asia/Beirut",
]


def _first_instant(day: date, tz: str) -> datetime:
    """The first instant of a local day, found by walking UTC minutes: independent of how the code computes it."""
    zone = ZoneInfo(tz)
    probe = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=15)
    while probe.astimezone(zone).date() < day:
        probe += timedelta(minutes=15)
    step = timedelta(minutes=15)
    while step >= timedelta(seconds=1):
        if (probe - step).astimezone(zone).date() >= day:
            probe -= step
        else:
            step /= 2
    return probe


@settings(max_examples=300, deadline=None)
@given(
    tz=st.sampled_from(EDGE_ZONES),
    monday=st.dates(date(2019, 1, 7), date(2029, 12, 17)).map(lambda d: d - timedelta(days=d.weekday())),
)
def test_a_week_boundary_is_local_monday_midnight_in_any_zone(tz: str, monday: date) -> None:
    start = _first_instant(monday, tz)
    just_before = start - timedelta(seconds=1)
    end_of_week = _first_instant(monday + timedelta(weeks=1), tz) - timedelta(seconds=1)
    assert start.astimezone(ZoneInfo(tz)).weekday() == 0
    assert just_before.astimezone(ZoneInfo(tz)).weekday() == 6
    # Either side of local Monday midnight: two weeks in a row. Monday's first instant and Sunday's last: one week.
    assert _two_sessions(just_before, start, tz).weekly == StreakInfo(2, 2, 0)
    assert _two_sessions(start, end_of_week, tz).weekly == StreakInfo(1, 1, 0)


@settings(max_examples=200, deadline=None)
@given(attended_first=st.integers(1, 30), missed=st.integers(1, 4))
def test_freezes_are_earned_every_four_and_spent_on_a_miss(attended_first: int, missed: int) -> None:
    banked = min(MAX_FREEZES, attended_first // 4)
    before = streaks_of("A" * attended_first)
    assert before.series[SERIES].freezes == before.weekly.freezes == banked
    after = streaks_of("A" * attended_first + "M" * missed + "A")
    for info in (after.series[SERIES], after.weekly):
        if missed <= banked:
            # Each miss spent a freeze and the streak went on (misses add nothing to it).
            assert info.current == attended_first + 1
            assert info.freezes == banked - missed
        else:
            # Not enough freezes: the streak started again at the last session.
            assert info.current == 1
            assert info.freezes == 0
        assert info.longest == max(attended_first, info.current)


# --- the fast paths give exactly the rules' answers ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(history=histories())
def test_asking_about_weeks_gives_the_same_as_passing_every_circle(
    history: tuple[list[SessionRecord], set[int], str, datetime],
) -> None:
    """What `/streak` does: pass the member's sessions and their series', then answer for the weeks asked."""
    sessions, attended_ids, tz, now = history
    went = [s for s in sessions if s.session_id in attended_ids]
    firsts: dict[int, datetime] = {}
    for s in went:
        if s.series_id is not None and (s.series_id not in firsts or s.started_at < firsts[s.series_id]):
            firsts[s.series_id] = s.started_at
    own = [s for s in sessions if s in went or (s.series_id in firsts and s.started_at >= firsts[s.series_id])]
    tally = tally_streaks(own, attended_ids, tz=tz, now=now)
    zone = ZoneInfo(tz)
    held_anywhere = {
        (s.started_at.astimezone(zone).toordinal() - 1) // 7 for s in sessions if not s.void and s.started_at <= now
    }
    answer = [week for week in tally.weeks_to_ask() if week in held_anywhere]
    assert tally.summary(answer) == compute_streaks(sessions, attended_ids, tz=tz, now=now)
