"""Unit tests of the circle state machine: talking-stick format, time, errors and persistence."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.domain import circle as c
from bot.domain.circle import (
    CircleEnded,
    CircleSettings,
    CircleStarted,
    CircleState,
    Extended,
    MemberJoined,
    MemberLeft,
    PassNoted,
    PassWithdrawn,
    Paused,
    Phase,
    Resumed,
    RoundOpened,
    Status,
    TurnEnded,
    TurnPassed,
    TurnStarted,
    TurnWarning,
)
from bot.domain.floor import speakers
from bot.domain.refusal import Refusal
from bot.replies import message_for

T0 = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def at(seconds: float) -> datetime:
    return T0 + s(seconds)


def gathered(*users: int, **settings: object) -> CircleState:
    state = c.open_circle(CircleSettings(**settings))  # type: ignore[arg-type]
    for user in users:
        state = c.join(state, user, T0).state
    return state


def running(*users: int, **settings: object) -> CircleState:
    return c.start(gathered(*users, **settings), T0).state


def rule_error(message_part: str) -> AbstractContextManager[pytest.ExceptionInfo[Refusal]]:
    return pytest.raises(Refusal, match=message_part)


# Settings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("turn_seconds", 0),
        ("rounds", 0),
        ("rounds", 6),
        ("warning_seconds", -1),
        ("reflect_seconds", 0),
        ("confirm_seconds", 0),
    ],
)
def test_settings_out_of_range_are_refused(field: str, value: int) -> None:
    with pytest.raises(Refusal):
        CircleSettings(**{field: value})  # type: ignore[arg-type]


def test_open_circle_is_gathering_and_empty() -> None:
    state = c.open_circle(CircleSettings())
    assert state.status is Status.GATHERING
    assert state.participants == ()
    assert state.round == 0
    assert state.holder is None
    assert c.next_deadline(state) is None
    assert c.time_left(state, T0) is None


def test_a_rule_refuses_with_a_stable_key_and_a_kind_sentence_the_person_sees_as_is() -> None:
    with pytest.raises(Refusal) as caught:
        c.start(gathered(), T0)
    assert caught.value.key == "circle.nobody_joined"
    assert caught.value.message == "Nobody has joined yet, so there is no one to pass the stick to."
    assert message_for(caught.value) == (caught.value.message, True)


# Joining and leaving


def test_join_keeps_join_order() -> None:
    state = c.open_circle(CircleSettings())
    tr = c.join(state, 7, T0)
    assert tr.effects == (MemberJoined(7),)
    state = c.join(tr.state, 3, T0).state
    assert state.participants == (7, 3)


def test_join_twice_is_refused() -> None:
    with rule_error("You're already in this circle."):
        c.join(gathered(1), 1, T0)


def test_join_an_ended_circle_is_refused() -> None:
    ended = c.end(gathered(1), T0).state
    with rule_error("already ended"):
        c.join(ended, 2, T0)


def test_join_mid_round_gets_a_turn_later_in_the_same_round() -> None:
    state = running(1, 2)
    state = c.join(state, 3, at(10)).state
    assert c.upcoming(state) == (2, 3)
    state = c.pass_turn(state, 1, at(20)).state
    tr = c.pass_turn(state, 2, at(30))
    assert tr.effects[-1] == TurnStarted(3, 1, Phase.SPEAKING, at(210), None)
    assert tr.state.round == 1


def test_join_while_paused_is_allowed() -> None:
    state = c.pause(running(1), at(5)).state
    tr = c.join(state, 2, at(6))
    assert tr.effects == (MemberJoined(2),)
    assert tr.state.status is Status.PAUSED


def test_leave_when_not_a_member_is_refused() -> None:
    with rule_error("You're not in this circle"):
        c.leave(gathered(1), 2, T0)


def test_leave_while_gathering_keeps_the_circle_open_even_when_empty() -> None:
    tr = c.leave(gathered(1), 1, T0)
    assert tr.effects == (MemberLeft(1),)
    assert tr.state.status is Status.GATHERING
    assert tr.state.participants == ()


def test_holder_leaving_passes_the_stick_now() -> None:
    tr = c.leave(running(1, 2), 1, at(40))
    assert tr.effects == (
        MemberLeft(1),
        TurnEnded(1, "left"),
        TurnStarted(2, 1, Phase.SPEAKING, at(220), None),
    )
    assert tr.state.holder == 2
    assert tr.state.participants == (2,)


def test_non_holder_leaving_keeps_the_turn_running() -> None:
    state = running(1, 2, 3)
    tr = c.leave(state, 2, at(40))
    assert tr.effects == (MemberLeft(2),)
    assert tr.state.holder == 1
    assert tr.state.deadline == state.deadline
    assert c.upcoming(tr.state) == (3,)


def test_last_person_leaving_a_running_circle_ends_it_as_empty() -> None:
    tr = c.leave(running(1), 1, at(10))
    assert tr.effects == (MemberLeft(1), TurnEnded(1, "left"), CircleEnded("empty"))
    assert tr.state.status is Status.ENDED
    assert tr.state.holder is None


def test_last_person_leaving_a_paused_circle_ends_it_as_empty() -> None:
    state = c.pause(running(1), at(10)).state
    tr = c.leave(state, 1, at(20))
    assert tr.effects[-1] == CircleEnded("empty")


def test_leaving_and_rejoining_in_the_same_round_gives_no_second_turn() -> None:
    state = running(1, 2, 3)
    state = c.pass_turn(state, 1, at(10)).state  # 1 finished, 2 holds
    state = c.leave(state, 1, at(20)).state
    state = c.join(state, 1, at(30)).state
    assert c.upcoming(state) == (3,)
    state = c.pass_turn(state, 2, at(40)).state
    tr = c.pass_turn(state, 3, at(50))
    assert tr.effects == (TurnEnded(3, "finished"), CircleEnded("completed"))


def test_leaving_drops_a_pending_pass() -> None:
    state = c.pass_turn(running(1, 2, 3), 2, at(1)).state
    state = c.leave(state, 2, at(2)).state
    assert state.passing == frozenset()
    state = c.join(state, 2, at(3)).state
    assert c.upcoming(state) == (3, 2)


def test_leaving_an_ended_circle_is_refused() -> None:
    ended = c.end(gathered(1), T0).state
    with rule_error("already ended"):
        c.leave(ended, 1, T0)


# Starting


def test_start_opens_round_one_and_gives_the_stick_to_the_first_joiner() -> None:
    tr = c.start(gathered(4, 2, turn_seconds=60, rounds=3), T0)
    assert tr.effects == (
        CircleStarted(),
        RoundOpened(1, 3),
        TurnStarted(4, 1, Phase.SPEAKING, at(60), None),
    )
    state = tr.state
    assert (state.status, state.round, state.holder, state.phase) == (Status.RUNNING, 1, 4, Phase.SPEAKING)
    assert state.deadline == at(60)
    assert state.remaining is None


def test_start_with_nobody_is_refused() -> None:
    with rule_error("Nobody has joined yet"):
        c.start(gathered(), T0)


def test_start_twice_is_refused() -> None:
    with rule_error("already started"):
        c.start(running(1), T0)


def test_start_an_ended_circle_is_refused() -> None:
    with rule_error("already ended"):
        c.start(c.end(gathered(1), T0).state, T0)


def test_a_pass_asked_for_while_gathering_applies_to_round_one() -> None:
    state = c.pass_turn(gathered(1, 2), 1, T0).state
    tr = c.start(state, T0)
    assert tr.effects[2:] == (TurnPassed(1), TurnStarted(2, 1, Phase.SPEAKING, at(180), None))


def test_everyone_passing_a_one_round_circle_completes_it_at_start() -> None:
    state = gathered(1, 2)
    state = c.pass_turn(state, 1, T0).state
    state = c.pass_turn(state, 2, T0).state
    tr = c.start(state, T0)
    assert tr.effects[2:] == (TurnPassed(1), TurnPassed(2), CircleEnded("completed"))


# Passing and finishing


def test_holder_passing_finishes_early() -> None:
    tr = c.pass_turn(running(1, 2, turn_seconds=60), 1, at(12))
    assert tr.effects == (TurnEnded(1, "finished"), TurnStarted(2, 1, Phase.SPEAKING, at(72), None))


def test_a_pass_is_noted_then_consumed_without_a_turn() -> None:
    state = running(1, 2, 3)
    tr = c.pass_turn(state, 2, at(5))
    assert tr.effects == (PassNoted(2),)
    assert c.upcoming(tr.state) == (3,)
    tr = c.pass_turn(tr.state, 1, at(10))
    assert tr.effects == (
        TurnEnded(1, "finished"),
        TurnPassed(2),
        TurnStarted(3, 1, Phase.SPEAKING, at(190), None),
    )
    assert tr.state.spoken == {1, 2}
    assert tr.state.passing == frozenset()


def test_passing_twice_is_refused() -> None:
    state = c.pass_turn(running(1, 2), 2, T0).state
    with rule_error("already passed"):
        c.pass_turn(state, 2, T0)


def test_passing_after_ones_turn_this_round_is_refused() -> None:
    state = c.pass_turn(running(1, 2), 1, T0).state
    with rule_error("already had your turn this round"):
        c.pass_turn(state, 1, T0)


def test_passing_needs_membership() -> None:
    with rule_error("not in this circle"):
        c.pass_turn(running(1), 9, T0)


def test_passing_in_an_ended_circle_is_refused() -> None:
    with rule_error("already ended"):
        c.pass_turn(c.end(running(1, 2), T0).state, 2, T0)


def test_withdrawing_a_pass_gives_the_turn_back() -> None:
    state = c.pass_turn(running(1, 2), 2, T0).state
    tr = c.withdraw_pass(state, 2, at(1))
    assert tr.effects == (PassWithdrawn(2),)
    tr = c.pass_turn(tr.state, 1, at(2))
    assert tr.effects[-1] == TurnStarted(2, 1, Phase.SPEAKING, at(182), None)


def test_withdrawing_without_a_pass_is_refused() -> None:
    with rule_error("nothing to take back"):
        c.withdraw_pass(running(1, 2), 2, T0)


def test_finish_turn_by_the_holder_ends_the_turn() -> None:
    tr = c.finish_turn(running(1, 2), 1, at(3))
    assert tr.effects[0] == TurnEnded(1, "finished")
    assert tr.state.holder == 2


def test_finish_turn_by_someone_else_is_refused() -> None:
    with rule_error("Only the person holding the stick can do that."):
        c.finish_turn(running(1, 2), 2, T0)


def test_finish_turn_before_start_is_refused() -> None:
    with rule_error("hasn't started yet"):
        c.finish_turn(gathered(1), 1, T0)


# Rounds


def test_rounds_open_in_turn_and_clear_spoken_and_passes() -> None:
    state = running(1, 2, rounds=2)
    state = c.pass_turn(state, 1, at(1)).state
    tr = c.pass_turn(state, 2, at(2))
    assert tr.effects == (
        TurnEnded(2, "finished"),
        RoundOpened(2, 2),
        TurnStarted(1, 2, Phase.SPEAKING, at(182), None),
    )
    assert tr.state.round == 2
    assert tr.state.spoken == frozenset()


def test_a_pass_covers_only_the_current_round() -> None:
    state = c.pass_turn(running(1, 2, rounds=2), 2, at(1)).state
    tr = c.pass_turn(state, 1, at(2))
    assert tr.effects == (
        TurnEnded(1, "finished"),
        TurnPassed(2),
        RoundOpened(2, 2),
        TurnStarted(1, 2, Phase.SPEAKING, at(182), None),
    )
    tr = c.pass_turn(tr.state, 1, at(3))
    assert tr.effects[-1] == TurnStarted(2, 2, Phase.SPEAKING, at(183), None)


def test_the_last_turn_of_the_last_round_completes_the_circle() -> None:
    tr = c.skip(running(1, rounds=1), at(1))
    assert tr.effects == (TurnEnded(1, "skipped"), CircleEnded("completed"))
    assert tr.state.status is Status.ENDED
    assert c.next_deadline(tr.state) is None


# Facilitator controls


def test_skip_moves_the_stick() -> None:
    tr = c.skip(running(1, 2, turn_seconds=60), at(15))
    assert tr.effects == (TurnEnded(1, "skipped"), TurnStarted(2, 1, Phase.SPEAKING, at(75), None))


def test_skip_before_start_and_after_end_is_refused() -> None:
    with rule_error("hasn't started yet"):
        c.skip(gathered(1), T0)
    with rule_error("already ended"):
        c.skip(c.end(running(1), T0).state, T0)


def test_skip_while_paused_starts_the_next_turn_frozen() -> None:
    state = c.pause(running(1, 2, turn_seconds=60), at(10)).state
    tr = c.skip(state, at(20))
    assert tr.effects == (TurnEnded(1, "skipped"), TurnStarted(2, 1, Phase.SPEAKING, None, None))
    assert tr.state.status is Status.PAUSED
    assert tr.state.remaining == s(60)
    assert tr.state.deadline is None
    resumed = c.resume(tr.state, at(500))
    assert resumed.state.deadline == at(560)


def test_extend_adds_exactly_its_seconds() -> None:
    state = running(1, turn_seconds=60)
    tr = c.extend(state, 45, at(20))
    assert tr.effects == (Extended(at(105), 45),)
    assert tr.state.deadline == at(105)


def test_extend_while_paused_adds_to_the_time_left() -> None:
    state = c.pause(running(1, turn_seconds=60), at(20)).state
    tr = c.extend(state, 30, at(25))
    assert tr.effects == (Extended(None, 30),)
    assert tr.state.remaining == s(70)
    assert c.resume(tr.state, at(100)).state.deadline == at(170)


@pytest.mark.parametrize("seconds", [0, -5])
def test_extend_by_nothing_is_refused(seconds: int) -> None:
    with rule_error("at least one second"):
        c.extend(running(1), seconds, T0)


def test_extend_by_more_than_a_day_is_refused() -> None:
    with rule_error("at most a day"):
        c.extend(running(1), c.MAX_EXTEND_SECONDS + 1, T0)


def test_extend_before_start_is_refused() -> None:
    with rule_error("hasn't started yet"):
        c.extend(gathered(1), 10, T0)


def test_extend_rearms_the_warning_when_the_time_left_exceeds_the_window_again() -> None:
    state = running(1, turn_seconds=60, warning_seconds=10)
    tr = c.advance(state, at(50))
    assert tr.effects == (TurnWarning(1, at(60)),)
    extended = c.extend(tr.state, 30, at(52)).state
    assert not extended.warned
    assert c.next_deadline(extended) == at(80)
    assert c.advance(extended, at(80)).effects == (TurnWarning(1, at(90)),)


def test_extend_keeps_the_warning_spent_while_still_inside_the_window() -> None:
    state = c.advance(running(1, turn_seconds=60, warning_seconds=10), at(55)).state
    extended = c.extend(state, 3, at(55)).state  # 8 s left, still inside the 10 s window
    assert extended.warned
    assert c.next_deadline(extended) == at(63)


def test_pause_freezes_the_time_left_however_long_it_lasts() -> None:
    state = running(1, turn_seconds=60)
    tr = c.pause(state, at(20))
    assert tr.effects == (Paused(s(40)),)
    paused = tr.state
    assert paused.status is Status.PAUSED
    assert paused.deadline is None
    assert c.next_deadline(paused) is None
    assert c.time_left(paused, at(10_000)) == s(40)
    assert c.advance(paused, at(10_000)).effects == ()
    tr = c.resume(paused, at(10_000))
    assert tr.effects == (Resumed(at(10_040)),)
    assert c.time_left(tr.state, at(10_000)) == s(40)


def test_pause_twice_is_refused() -> None:
    with rule_error("already paused"):
        c.pause(c.pause(running(1), T0).state, T0)


def test_pause_before_start_is_refused() -> None:
    with rule_error("hasn't started yet"):
        c.pause(gathered(1), T0)


def test_resume_when_not_paused_is_refused() -> None:
    with rule_error("isn't paused"):
        c.resume(running(1), T0)


def test_holder_finishing_while_paused_moves_the_stick_and_keeps_the_pause() -> None:
    state = c.pause(running(1, 2, turn_seconds=60), at(10)).state
    tr = c.pass_turn(state, 1, at(20))
    assert tr.effects == (TurnEnded(1, "finished"), TurnStarted(2, 1, Phase.SPEAKING, None, None))
    assert tr.state.remaining == s(60)


def test_end_while_gathering() -> None:
    tr = c.end(gathered(1), T0)
    assert tr.effects == (CircleEnded("facilitator"),)
    assert tr.state.status is Status.ENDED


def test_end_mid_turn_closes_the_turn_first() -> None:
    tr = c.end(running(1, 2), at(30))
    assert tr.effects == (TurnEnded(1, "finished"), CircleEnded("facilitator"))
    assert tr.state.holder is None
    assert tr.state.deadline is None
    assert c.time_left(tr.state, at(31)) is None
    assert c.upcoming(tr.state) == ()


def test_end_while_paused() -> None:
    tr = c.end(c.pause(running(1), at(1)).state, at(2))
    assert tr.effects[-1] == CircleEnded("facilitator")
    assert tr.state.remaining is None


def test_end_twice_is_refused() -> None:
    with rule_error("already ended"):
        c.end(c.end(gathered(), T0).state, T0)


@pytest.mark.parametrize(
    "action",
    [
        lambda st: c.pause(st, T0),
        lambda st: c.resume(st, T0),
        lambda st: c.extend(st, 5, T0),
        lambda st: c.withdraw_pass(st, 1, T0),
        lambda st: c.finish_turn(st, 1, T0),
    ],
)
def test_actions_on_an_ended_circle_are_refused(action: object) -> None:
    ended = c.end(running(1), T0).state
    with rule_error("already ended"):
        action(ended)  # type: ignore[operator]


# Time: warnings, timeouts, catching up


def test_warning_comes_once_before_the_end() -> None:
    state = running(1, 2, turn_seconds=60, warning_seconds=10)
    assert c.next_deadline(state) == at(50)
    assert c.advance(state, at(49)).effects == ()
    tr = c.advance(state, at(50))
    assert tr.effects == (TurnWarning(1, at(60)),)
    assert c.next_deadline(tr.state) == at(60)
    assert c.advance(tr.state, at(55)).effects == ()


def test_no_warning_when_the_turn_is_not_longer_than_the_warning() -> None:
    state = running(1, 2, turn_seconds=30, warning_seconds=30)
    assert state.warned
    assert c.next_deadline(state) == at(30)
    assert c.advance(state, at(30)).effects[0] == TurnEnded(1, "timed_out")


def test_zero_warning_seconds_turns_warnings_off() -> None:
    state = running(1, 2, turn_seconds=30, warning_seconds=0)
    tr = c.advance(state, at(30))
    assert not any(isinstance(e, TurnWarning) for e in tr.effects)


def test_timeout_passes_the_stick_at_the_deadline() -> None:
    state = c.advance(running(1, 2, turn_seconds=60, warning_seconds=10), at(50)).state
    tr = c.advance(state, at(60))
    assert tr.effects == (TurnEnded(1, "timed_out"), TurnStarted(2, 1, Phase.SPEAKING, at(120), None))


def test_catch_up_applies_every_passed_deadline_in_order() -> None:
    state = running(1, 2, 3, turn_seconds=60, warning_seconds=10, rounds=2)
    tr = c.advance(state, at(150))  # the bot was down: 1 and 2 timed out, 3 is warned at 170
    assert tr.effects == (
        TurnWarning(1, at(60)),
        TurnEnded(1, "timed_out"),
        TurnStarted(2, 1, Phase.SPEAKING, at(120), None),
        TurnWarning(2, at(120)),
        TurnEnded(2, "timed_out"),
        TurnStarted(3, 1, Phase.SPEAKING, at(180), None),
    )
    assert tr.state.holder == 3
    assert c.next_deadline(tr.state) == at(170)


def test_catch_up_equals_stepping_through_each_deadline() -> None:
    state = running(1, 2, 3, turn_seconds=40, warning_seconds=15, rounds=3)
    state = c.pass_turn(state, 3, at(1)).state
    one_shot = c.advance(state, at(10_000))
    stepped, effects = state, list[c.Effect]()
    while (moment := c.next_deadline(stepped)) is not None:
        tr = c.advance(stepped, moment)
        effects.extend(tr.effects)
        stepped = tr.state
    assert one_shot.state == stepped
    assert list(one_shot.effects) == effects
    assert one_shot.effects[-1] == CircleEnded("completed")


def test_actions_catch_up_first() -> None:
    state = running(1, 2, turn_seconds=60, warning_seconds=0)
    with rule_error("Only the person holding the stick"):
        c.finish_turn(state, 1, at(61))  # 1's turn is already over
    tr = c.finish_turn(state, 2, at(61))
    assert tr.effects == (
        TurnEnded(1, "timed_out"),
        TurnStarted(2, 1, Phase.SPEAKING, at(120), None),
        TurnEnded(2, "finished"),
        CircleEnded("completed"),
    )


def test_advance_before_anything_is_due_changes_nothing() -> None:
    state = running(1, 2)
    tr = c.advance(state, at(1))
    assert tr.effects == ()
    assert tr.state == state


def test_advance_on_a_gathering_or_ended_circle_does_nothing() -> None:
    for state in (gathered(1), c.end(running(1), T0).state):
        tr = c.advance(state, at(9_999))
        assert tr.effects == ()
        assert tr.state == state


def test_time_left_counts_down_and_stops_at_zero() -> None:
    state = running(1, turn_seconds=60)
    assert c.time_left(state, at(15)) == s(45)
    assert c.time_left(state, at(90)) == timedelta(0)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        c.join(c.open_circle(CircleSettings()), 1, datetime(2025, 1, 1))  # noqa: DTZ001


def test_other_timezones_are_stored_as_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    state = c.start(gathered(1, turn_seconds=60), T0.astimezone(berlin)).state
    assert state.deadline == at(60)
    assert state.deadline is not None and state.deadline.tzinfo is UTC


def test_transitions_leave_the_old_state_untouched() -> None:
    state = running(1, 2)
    snapshot = state.to_json()
    c.pass_turn(state, 2, at(1))
    c.skip(state, at(1))
    c.leave(state, 1, at(1))
    assert state.to_json() == snapshot


# Questions


def test_upcoming_is_the_rest_of_the_round_in_order() -> None:
    state = running(1, 2, 3, 4)
    state = c.pass_turn(state, 3, T0).state
    assert c.upcoming(state) == (2, 4)
    assert c.upcoming(gathered(5, 6)) == (5, 6)


def test_next_deadline_is_none_unless_running() -> None:
    assert c.next_deadline(gathered(1)) is None
    assert c.next_deadline(c.pause(running(1), T0).state) is None
    assert c.next_deadline(c.end(running(1), T0).state) is None


def test_the_floor_is_the_holders_in_talking_stick() -> None:
    assert speakers(running(1, 2)) == {1}
    assert c.listener_candidates(running(1, 2)) == ()


# Persistence


def _states_worth_saving() -> list[CircleState]:
    run = running(1, 2, 3, turn_seconds=60, rounds=2)
    run = c.pass_turn(run, 3, at(1)).state
    return [
        c.open_circle(CircleSettings()),
        gathered(1, 2),
        run,
        c.advance(run, at(55)).state,
        c.pause(run, at(12.345678)).state,
        c.end(run, at(2)).state,
    ]


@pytest.mark.parametrize("state", _states_worth_saving())
def test_json_round_trips_exactly(state: CircleState) -> None:
    text = json.dumps(state.to_json(), separators=(",", ":"))
    back = CircleState.from_json(json.loads(text))
    assert back == state
    assert back.to_json() == state.to_json()


def test_who_left_is_saved_and_a_state_saved_before_it_existed_reads_as_nobody_left() -> None:
    state = c.leave(running(1, 2, 3), 3, at(1)).state
    assert state.left == {3}
    data = json.loads(json.dumps(state.to_json()))
    assert data["left"] == [3]
    assert CircleState.from_json(data) == state
    del data["left"]
    assert CircleState.from_json(data).left == frozenset()


def test_from_json_refuses_an_unknown_version() -> None:
    data = gathered(1).to_json()
    data["v"] = 99
    with pytest.raises(ValueError, match="unknown version"):
        CircleState.from_json(data)


def test_from_json_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="not a saved circle state"):
        CircleState.from_json({"v": 1, "status": "running"})
