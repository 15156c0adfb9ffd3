"""Who came to one circle, read from its events; and the local weeks streaks walk over."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.attendance import Participation, local_weeks, participation, week_bounds, week_index, week_start

KEN, MIA, LU = 1, 2, 3


def test_taking_or_passing_a_turn_counts_leaving_before_it_does_not() -> None:
    events = [
        (KEN, "joined", 0),
        (MIA, "joined", 0),
        (LU, "joined", 0),
        (LU, "left", 1),
        (KEN, "took_turn", 1),
        (MIA, "passed", 1),
        (KEN, "took_turn", 2),
        (MIA, "passed", 2),
    ]
    assert participation(events, rounds=2) == [
        Participation(KEN, 0, None, 2, 0, 0, attended=True),
        Participation(MIA, 0, None, 0, 2, 0, attended=True),
        Participation(LU, 0, 1, 0, 0, 0, attended=False),
    ]


def test_joining_in_the_last_round_does_not_count_even_with_a_turn() -> None:
    events = [(KEN, "joined", 0), (KEN, "took_turn", 1), (MIA, "joined", 2), (MIA, "took_turn", 2)]
    came = {p.user_id: p.attended for p in participation(events, rounds=2)}
    assert came == {KEN: True, MIA: False}


def test_the_membership_that_counts_is_the_one_held_at_the_first_turn() -> None:
    # Lu was there before the start, left, and came back in the last round to speak: they joined in the last round.
    late = [(LU, "joined", 0), (LU, "left", 0), (LU, "joined", 3), (LU, "took_turn", 3)]
    assert participation(late, rounds=3) == [Participation(LU, 3, None, 1, 0, 0, attended=False)]
    # Mia spoke in round 1, stepped out and came back in the last round: she came.
    back = [(MIA, "joined", 0), (MIA, "took_turn", 1), (MIA, "left", 1), (MIA, "joined", 3)]
    assert participation(back, rounds=3) == [Participation(MIA, 0, None, 1, 0, 0, attended=True)]


def test_a_skipped_turn_is_neither_taken_nor_passed() -> None:
    events = [(KEN, "joined", 0), (KEN, "skipped", 1)]
    assert participation(events, rounds=1) == [Participation(KEN, 0, None, 0, 0, 1, attended=False)]


def test_no_join_recorded_gets_the_benefit_of_the_doubt() -> None:
    # Tracking was turned back on mid-circle: the join was never written, the turn was.
    assert participation([(KEN, "took_turn", 2)], rounds=2) == [Participation(KEN, None, None, 1, 0, 0, attended=True)]


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="shouted"):
        participation([(KEN, "shouted", 1)], rounds=1)


# --- local weeks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "moment", "monday"),
    [
        ("UTC", datetime(2026, 3, 15, 23, 59, tzinfo=UTC), date(2026, 3, 9)),
        ("Pacific/Tongatapu", datetime(2026, 6, 14, 11, 30, tzinfo=UTC), date(2026, 6, 15)),  # Mon 00:30 there
        ("Pacific/Pago_Pago", datetime(2026, 6, 15, 10, 30, tzinfo=UTC), date(2026, 6, 8)),  # Sun 23:30 there
        ("Europe/Berlin", datetime(2026, 3, 29, 21, 59, tzinfo=UTC), date(2026, 3, 23)),  # the clocks changed
    ],
)
def test_week_start_is_local_monday_midnight(tz: str, moment: datetime, monday: date) -> None:
    start = week_start(moment, tz)
    assert (start.date(), start.hour, start.minute) == (monday, 0, 0)
    assert start.tzinfo == ZoneInfo(tz)


@settings(max_examples=200, deadline=None)
@given(
    tz=st.sampled_from(["Europe/Berlin", "Pacific/Tongatapu", "Pacific/Pago_Pago", "America/Santiago", "UTC"]),
    start_hours=st.integers(0, 24 * 365 * 3),
    span_hours=st.integers(0, 24 * 120),
)
def test_local_weeks_tile_time_from_monday_to_monday(tz: str, start_hours: int, span_hours: int) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=start_hours)
    last = first + timedelta(hours=span_hours)
    weeks = local_weeks(first, last, tz)
    zone = ZoneInfo(tz)
    assert weeks[0][0] <= first < weeks[0][1]
    assert weeks[-1][0] <= last < weeks[-1][1]
    for (_, end), (next_start, _) in itertools.pairwise(weeks):
        assert end == next_start
    for start, end in weeks:
        local = start.astimezone(zone)
        assert local.weekday() == 0 and (start - timedelta(microseconds=1)).astimezone(zone).weekday() == 6
        assert timedelta(days=7) - timedelta(hours=2) <= end - start <= timedelta(days=7) + timedelta(hours=2)


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        week_start(datetime(2026, 1, 1), "UTC")  # noqa: DTZ001 - the point of the test


@settings(max_examples=200, deadline=None)
@given(
    tz=st.sampled_from(["Europe/Berlin", "Pacific/Tongatapu", "Pacific/Pago_Pago", "America/Santiago", "Asia/Kolkata"]),
    minutes=st.integers(0, 60 * 24 * 365 * 5),
)
def test_week_bounds_hold_exactly_the_moments_of_their_week(tz: str, minutes: int) -> None:
    zone = ZoneInfo(tz)
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    index = week_index(moment, zone)
    start, end = week_bounds(index, zone)
    assert start <= moment < end
    assert week_index(start, zone) == index and week_index(end, zone) == index + 1
    assert week_index(start - timedelta(microseconds=1), zone) == index - 1
