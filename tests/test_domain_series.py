"""Unit tests of a recurring session's life: reminder window, opening, grace after downtime, auto-start, next wake."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.recurrence import Recurrence
from bot.domain.series import (
    CANCELLED,
    EVENT_LEAD,
    GRACE,
    MISSED_BY_BOT,
    OPENED,
    PLANNED,
    REMIND_BEFORE,
    SKIPPED,
    SessionLife,
    Step,
    in_reminder_window,
    next_step,
    next_to_come,
    next_wake,
    opens_at,
)

# A Tuesday 19:00 (UTC) session that opens ten minutes early; the series was set up a week before.
START = datetime(2026, 3, 17, 19, 0, tzinfo=UTC)
CREATED = START - timedelta(days=7)
TUESDAYS = Recurrence(weekdays=frozenset({1}), hour=19, minute=0)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def planned(*, auto_start: bool = False, open_minutes_before: int = 10, **facts: object) -> SessionLife:
    life = SessionLife(START, opens_at(START, open_minutes_before, CREATED), auto_start)
    return replace(life, **facts)  # type: ignore[arg-type]


# When it opens


def test_a_session_opens_its_minutes_before_but_never_before_the_series_existed() -> None:
    assert opens_at(START, 10, CREATED) == START - minutes(10)
    assert opens_at(START, 0, CREATED) == START
    set_up_late = START - minutes(4)
    assert opens_at(START, 10, set_up_late) == set_up_late


# The reminder window


@pytest.mark.parametrize(
    ("before_start", "due"),
    [(minutes(61), False), (REMIND_BEFORE, True), (minutes(30), True), (minutes(0.01), True), (timedelta(0), False)],
)
def test_the_reminder_is_due_within_the_hour_before_the_start(before_start: timedelta, due: bool) -> None:
    assert in_reminder_window(START, START - before_start) is due


def test_the_reminder_comes_once_before_the_circle_opens() -> None:
    assert next_step(planned(), START - minutes(50)) is Step.REMIND
    assert next_step(planned(reminded=True), START - minutes(50)) is Step.WAIT
    assert next_step(planned(), START - minutes(90)) is Step.WAIT


def test_no_reminder_once_the_session_started() -> None:
    # Back from downtime just after the start: the circle still opens (within grace), with no "starts soon" DM.
    assert next_step(planned(), START + minutes(1)) is Step.OPEN


# Opening, and downtime


def test_the_circle_opens_at_its_opening_time() -> None:
    assert next_step(planned(reminded=True), START - minutes(10)) is Step.OPEN
    assert next_step(planned(reminded=True), START - minutes(10.01)) is Step.WAIT


def test_an_opening_missed_by_at_most_grace_still_happens_and_a_later_one_is_missed_by_the_bot() -> None:
    open_time = START - minutes(10)
    assert next_step(planned(reminded=True), open_time + GRACE) is Step.OPEN
    assert next_step(planned(reminded=True), open_time + GRACE + timedelta(seconds=1)) is Step.MISS


@pytest.mark.parametrize("status", [SKIPPED, MISSED_BY_BOT, CANCELLED])
def test_a_session_without_a_circle_moves_the_series_on(status: str) -> None:
    assert next_step(planned(status=status), START - minutes(50)) is Step.MOVE_ON


# Starting by itself


def test_an_open_session_moves_on_unless_it_starts_by_itself() -> None:
    assert next_step(planned(status=OPENED), START - minutes(5)) is Step.MOVE_ON
    assert next_step(planned(status=OPENED, auto_start=True), START - minutes(5)) is Step.WAIT
    assert next_step(planned(status=OPENED, auto_start=True), START) is Step.START
    assert next_step(planned(status=OPENED, auto_start=True, started=True), START) is Step.MOVE_ON


def test_a_start_missed_by_more_than_grace_is_left_for_a_facilitator() -> None:
    life = planned(status=OPENED, auto_start=True)
    assert next_step(life, START + GRACE) is Step.START
    assert next_step(life, START + GRACE + timedelta(seconds=1)) is Step.LEAVE_FOR_FACILITATOR


# When to look again


def test_the_next_wake_is_the_reminder_then_the_opening_then_the_start() -> None:
    now = START - minutes(120)
    assert next_wake(planned(), now, TUESDAYS, "UTC") == START - REMIND_BEFORE
    assert next_wake(planned(reminded=True), START - minutes(50), TUESDAYS, "UTC") == START - minutes(10)
    opened = planned(status=OPENED, auto_start=True)
    assert next_wake(opened, START - minutes(5), TUESDAYS, "UTC") == START


def test_the_next_wake_is_when_a_session_comes_within_a_week_if_that_is_sooner() -> None:
    # Long before the session, the series wakes when the one after it needs its Event.
    far = planned(open_minutes_before=0)
    now = START - timedelta(days=8)
    assert next_wake(far, now, TUESDAYS, "UTC") == START - EVENT_LEAD


def test_the_series_always_has_a_moment_ahead_the_next_event_window_at_the_latest() -> None:
    # Nothing of an open session that does not start by itself is ahead: the series looks again when the session
    # after next comes within a week (its Event is made then).
    now = START + minutes(1)
    assert next_wake(planned(status=OPENED), now, TUESDAYS, "UTC") == START + timedelta(days=14) - EVENT_LEAD


def test_next_to_come_skips_sessions_that_will_have_no_circle() -> None:
    week = timedelta(days=7)
    sessions = [
        (START, SKIPPED),
        (START + week, MISSED_BY_BOT),
        (START + 2 * week, OPENED),
        (START + 3 * week, PLANNED),
    ]
    assert next_to_come(sessions) == (START + 2 * week, OPENED)
    assert next_to_come([(START, CANCELLED)]) is None
    assert next_to_come([]) is None
    assert next_to_come([(START, PLANNED)]) == (START, PLANNED)


def test_series_of_the_same_minute_open_a_little_apart_never_late() -> None:
    from bot.domain.series import OPEN_SPREAD_SECONDS, open_spread

    moments = {opens_at(START, 10, CREATED, series_id) for series_id in range(1, 31)}
    assert len(moments) == 30  # thirty series opening at the same minute open at thirty different seconds
    assert all(START - minutes(10) - timedelta(seconds=OPEN_SPREAD_SECONDS) < m <= START - minutes(10) for m in moments)
    assert opens_at(START, 10, CREATED, 1) == START - minutes(10)  # the first series opens exactly on time
    assert open_spread(2) > open_spread(1)
