"""Unit tests of the empathy-circle format: listener choice, reflection, confirmation and hand-over."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bot.domain import circle as c
from bot.domain.circle import (
    CircleEnded,
    CircleFormat,
    CircleSettings,
    CircleState,
    ConfirmRequested,
    Extended,
    ListenerChosen,
    MemberLeft,
    Phase,
    ReflectionStarted,
    RoundOpened,
    SpeakerHeard,
    Status,
    TurnEnded,
    TurnPassed,
    TurnStarted,
    TurnWarning,
)
from bot.domain.floor import speakers
from bot.domain.refusal import Refusal

T0 = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)
# Speaking 60 s (warning at 50 s), reflecting 30 s, confirming 20 s.
TIMES = {"turn_seconds": 60, "warning_seconds": 10, "reflect_seconds": 30, "confirm_seconds": 20}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def running(*users: int, rounds: int = 1) -> CircleState:
    settings = CircleSettings(format=CircleFormat.EMPATHY, rounds=rounds, **TIMES)  # type: ignore[arg-type]
    state = c.open_circle(settings)
    for user in users:
        state = c.join(state, user, T0).state
    return c.start(state, T0).state


def reflecting(*users: int, listener: int, when: float = 10, rounds: int = 1) -> CircleState:
    """Return the circle with the first joiner speaking, ``listener`` chosen, and the reflection begun."""
    state = c.choose_listener(running(*users, rounds=rounds), users[0], listener, at(1)).state
    return c.finish_turn(state, users[0], at(when)).state


def confirming(*users: int, listener: int) -> CircleState:
    state = reflecting(*users, listener=listener)
    return c.finish_turn(state, listener, at(20)).state


def rule_error(message_part: str) -> AbstractContextManager[pytest.ExceptionInfo[Refusal]]:
    return pytest.raises(Refusal, match=message_part)


# Who may listen


def test_candidates_follow_the_circle_after_the_speaker() -> None:
    state = running(1, 2, 3, 4)
    assert c.listener_candidates(state) == (2, 3, 4)


def test_candidates_leave_out_people_who_spoke_or_pass() -> None:
    state = running(1, 2, 3, 4, 5)
    state = c.pass_turn(state, 4, at(1)).state
    state = c.pass_turn(state, 1, at(2)).state  # passes without reflection: 2 speaks next
    assert state.holder == 2
    assert c.listener_candidates(state) == (3, 5)


def test_the_last_speaker_of_a_round_may_pick_anyone_else() -> None:
    state = running(1, 2, 3)
    state = c.pass_turn(state, 1, at(1)).state
    state = c.pass_turn(state, 2, at(2)).state
    assert state.holder == 3
    assert c.listener_candidates(state) == (1, 2)


def test_the_previous_listener_is_left_out_while_anyone_else_can_listen() -> None:
    state = c.confirm_heard(reflecting(1, 2, 3, listener=3), 1, True, at(30)).state
    # 3 listened and now speaks; 2 spoke nowhere yet, so 2 is the only first-choice listener.
    assert state.holder == 3
    assert state.previous_listener == 3
    state = c.choose_listener(state, 3, 2, at(31)).state
    state = c.finish_turn(state, 3, at(32)).state
    state = c.confirm_heard(state, 3, True, at(33)).state
    assert state.holder == 2
    assert state.previous_listener == 2
    # Everyone spoke except 2: the fallback is 1 or 3, 1 comes first after 2 in circle order.
    assert c.listener_candidates(state) == (3, 1)


def test_the_previous_listener_is_kept_when_nobody_else_can_listen() -> None:
    state = c.confirm_heard(reflecting(1, 2, listener=2, rounds=2), 1, True, at(30)).state
    assert state.holder == 2
    assert c.listener_candidates(state) == (1,)
    state = c.confirm_heard(
        c.finish_turn(c.choose_listener(state, 2, 1, at(31)).state, 2, at(32)).state, 2, True, at(33)
    ).state
    # Round 2 opens with 1, who listened last: 2 is the only other person, so 2 is offered.
    assert (state.round, state.holder, state.previous_listener) == (2, 1, 1)
    assert c.listener_candidates(state) == (2,)


def test_nobody_listens_twice_in_a_row_across_a_round_boundary() -> None:
    state = running(1, 2, 3, rounds=2)
    state = c.pass_turn(state, 1, at(1)).state
    state = c.pass_turn(state, 2, at(2)).state
    state = c.choose_listener(state, 3, 2, at(3)).state
    state = c.finish_turn(state, 3, at(4)).state
    state = c.confirm_heard(state, 3, True, at(5)).state
    assert (state.round, state.holder, state.previous_listener) == (2, 1, 2)
    assert c.listener_candidates(state) == (3,)
    with rule_error("listened last time"):
        c.choose_listener(state, 1, 2, at(6))


# Choosing a listener


def test_speaker_chooses_and_may_change_their_mind() -> None:
    state = running(1, 2, 3)
    tr = c.choose_listener(state, 1, 3, at(5))
    assert tr.effects == (ListenerChosen(1, 3, auto=False),)
    assert tr.state.listener == 3
    assert tr.state.phase is Phase.SPEAKING
    assert c.upcoming(tr.state) == (3, 2)
    tr = c.choose_listener(tr.state, 1, 2, at(6))
    assert tr.state.listener == 2


@pytest.mark.parametrize(
    ("speaker", "listener", "message"),
    [
        (2, 3, "Only the person speaking can choose"),
        (1, 1, "someone other than yourself"),
        (1, 9, "isn't in this circle"),
    ],
)
def test_choose_listener_errors(speaker: int, listener: int, message: str) -> None:
    with rule_error(message):
        c.choose_listener(running(1, 2, 3), speaker, listener, at(1))


def test_choosing_someone_who_already_spoke_is_refused() -> None:
    state = c.pass_turn(running(1, 2, 3), 1, at(1)).state
    with rule_error("already spoken this round"):
        c.choose_listener(state, 2, 1, at(2))


def test_choosing_someone_who_passes_is_refused() -> None:
    state = c.pass_turn(running(1, 2, 3), 3, at(1)).state
    with rule_error("chosen to pass"):
        c.choose_listener(state, 1, 3, at(2))


def test_choosing_after_the_reflection_began_is_refused() -> None:
    with rule_error("already reflecting"):
        c.choose_listener(reflecting(1, 2, 3, listener=2), 1, 3, at(20))


def test_choosing_in_a_talking_stick_circle_is_refused() -> None:
    state = c.start(c.join(c.open_circle(CircleSettings()), 1, T0).state, T0).state
    with rule_error("only part of empathy circles"):
        c.choose_listener(state, 1, 2, T0)


def test_choosing_before_start_is_refused() -> None:
    state = c.join(c.open_circle(CircleSettings(format=CircleFormat.EMPATHY)), 1, T0).state
    with rule_error("hasn't started yet"):
        c.choose_listener(state, 1, 2, T0)


# Speaking ends: reflection


def test_speaking_time_running_out_starts_the_chosen_listeners_reflection() -> None:
    state = c.choose_listener(running(1, 2, 3), 1, 3, at(5)).state
    tr = c.advance(state, at(60))
    assert tr.effects == (TurnWarning(1, at(60)), ReflectionStarted(1, 3, at(90), 1))
    assert tr.state.phase is Phase.REFLECTING
    assert tr.state.holder == 1
    assert 3 in speakers(tr.state)


def test_no_choice_in_time_means_the_bot_picks_the_next_in_order() -> None:
    tr = c.advance(running(1, 2, 3), at(60))
    assert tr.effects[1:] == (ListenerChosen(1, 2, auto=True), ReflectionStarted(1, 2, at(90), 1))


def test_speaker_finishing_early_starts_the_reflection_now() -> None:
    tr = c.finish_turn(running(1, 2), 1, at(12))
    assert tr.effects == (ListenerChosen(1, 2, auto=True), ReflectionStarted(1, 2, at(42), 1))


def test_listener_finishing_asks_the_speaker_to_confirm() -> None:
    tr = c.finish_turn(reflecting(1, 2, listener=2), 2, at(20))
    assert tr.effects == (ConfirmRequested(1, 2, at(40), 1),)
    assert tr.state.phase is Phase.CONFIRMING
    assert speakers(tr.state) == {1}


def test_reflection_running_out_asks_the_speaker_to_confirm() -> None:
    tr = c.advance(reflecting(1, 2, listener=2, when=10), at(40))
    assert tr.effects == (ConfirmRequested(1, 2, at(60), 1),)


def test_listener_finishing_twice_is_refused_kindly() -> None:
    with rule_error("Thank you for reflecting"):
        c.finish_turn(confirming(1, 2, listener=2), 2, at(21))


def test_someone_else_finishing_is_refused() -> None:
    with rule_error("Only the person holding the stick"):
        c.finish_turn(reflecting(1, 2, 3, listener=2), 3, at(11))


def test_reflection_has_no_warning_and_extends_exactly() -> None:
    state = reflecting(1, 2, listener=2, when=10)
    assert state.warned
    assert c.next_deadline(state) == at(40)
    tr = c.extend(state, 15, at(20))
    assert tr.effects == (Extended(at(55), 15),)
    assert tr.state.warned


# Confirming


def test_feeling_heard_hands_the_stick_to_the_listener() -> None:
    tr = c.confirm_heard(confirming(1, 2, 3, listener=3), 1, True, at(25))
    assert tr.effects == (
        SpeakerHeard(1, 3),
        TurnEnded(1, "finished"),
        TurnStarted(3, 1, Phase.SPEAKING, at(85), None),
    )
    assert tr.state.previous_listener == 3
    assert tr.state.listener is None
    assert tr.state.attempt == 0


def test_the_speaker_may_feel_heard_before_the_reflection_time_is_up() -> None:
    tr = c.confirm_heard(reflecting(1, 2, listener=2), 1, True, at(15))
    assert tr.effects[0] == SpeakerHeard(1, 2)
    assert tr.state.holder == 2


def test_not_quite_gives_the_listener_at_most_two_more_goes() -> None:
    state = confirming(1, 2, listener=2)
    tr = c.confirm_heard(state, 1, False, at(21))
    assert tr.effects == (ReflectionStarted(1, 2, at(51), 2),)
    state = c.finish_turn(tr.state, 2, at(22)).state
    assert state.attempt == 2
    tr = c.confirm_heard(state, 1, False, at(23))
    assert tr.effects == (ReflectionStarted(1, 2, at(53), 3),)
    tr = c.advance(tr.state, at(53))
    assert tr.effects == (ConfirmRequested(1, 2, at(73), 3),)
    tr = c.confirm_heard(tr.state, 1, False, at(60))
    # A third "Not quite" closes the turn without claiming the speaker felt heard.
    assert tr.effects == (TurnEnded(1, "finished"), TurnStarted(2, 1, Phase.SPEAKING, at(120), None))


def test_confirming_timing_out_counts_as_heard() -> None:
    tr = c.advance(confirming(1, 2, listener=2), at(40))
    assert tr.effects[:2] == (SpeakerHeard(1, 2), TurnEnded(1, "finished"))
    assert tr.state.holder == 2


def test_confirm_errors() -> None:
    with rule_error("Only the speaker can say"):
        c.confirm_heard(confirming(1, 2, listener=2), 2, True, at(21))
    with rule_error("hasn't reflected back yet"):
        c.confirm_heard(running(1, 2), 1, True, at(1))
    talking = c.start(c.join(c.open_circle(CircleSettings()), 1, T0).state, T0).state
    with rule_error("only part of empathy circles"):
        c.confirm_heard(talking, 1, True, T0)


def test_a_listener_who_already_spoke_hands_back_to_the_normal_order() -> None:
    state = running(1, 2, 3, rounds=2)
    state = c.pass_turn(state, 1, at(1)).state
    state = c.pass_turn(state, 2, at(2)).state
    state = c.choose_listener(state, 3, 1, at(3)).state
    state = c.finish_turn(state, 3, at(4)).state
    tr = c.confirm_heard(state, 3, True, at(5))
    assert tr.effects[-2:] == (RoundOpened(2, 2), TurnStarted(1, 2, Phase.SPEAKING, at(65), None))


def test_a_listener_who_passes_is_counted_and_the_order_continues() -> None:
    state = c.choose_listener(running(1, 2, 3), 1, 2, at(1)).state
    state = c.pass_turn(state, 2, at(2)).state  # 2 will still reflect, but passes their own turn
    state = c.finish_turn(state, 1, at(3)).state
    assert state.listener == 2
    tr = c.confirm_heard(state, 1, True, at(4))
    assert tr.effects[1:] == (
        TurnEnded(1, "finished"),
        TurnPassed(2),
        TurnStarted(3, 1, Phase.SPEAKING, at(64), None),
    )


# Passing, skipping, leaving


def test_speaker_passing_skips_the_reflection_and_the_order_continues() -> None:
    state = c.choose_listener(running(1, 2, 3), 1, 3, at(1)).state
    tr = c.pass_turn(state, 1, at(2))
    assert tr.effects == (TurnEnded(1, "passed"), TurnStarted(2, 1, Phase.SPEAKING, at(62), None))
    assert tr.state.previous_listener is None


def test_speaker_passing_mid_reflection_still_hands_over_to_the_listener() -> None:
    tr = c.pass_turn(reflecting(1, 2, 3, listener=3), 1, at(15))
    assert tr.effects == (TurnEnded(1, "finished"), TurnStarted(3, 1, Phase.SPEAKING, at(75), None))


def test_skip_mid_reflection_hands_over_to_the_listener() -> None:
    tr = c.skip(reflecting(1, 2, 3, listener=3), at(15))
    assert tr.effects == (TurnEnded(1, "skipped"), TurnStarted(3, 1, Phase.SPEAKING, at(75), None))


def test_chosen_listener_leaving_while_the_speaker_speaks_is_unchosen() -> None:
    state = c.choose_listener(running(1, 2, 3), 1, 3, at(1)).state
    tr = c.leave(state, 3, at(2))
    assert tr.effects == (MemberLeft(3),)
    assert tr.state.listener is None
    assert c.advance(tr.state, at(60)).effects[1] == ListenerChosen(1, 2, auto=True)


def test_listener_leaving_mid_reflection_is_replaced_at_the_same_attempt() -> None:
    state = c.confirm_heard(confirming(1, 2, 3, listener=2), 1, False, at(21)).state
    tr = c.leave(state, 2, at(25))
    assert tr.effects == (
        MemberLeft(2),
        ListenerChosen(1, 3, auto=True),
        ReflectionStarted(1, 3, at(55), 2),
    )


def test_listener_leaving_with_nobody_else_to_listen_ends_the_turn() -> None:
    tr = c.leave(confirming(1, 2, listener=2), 2, at(21))
    assert tr.effects == (MemberLeft(2), TurnEnded(1, "finished"), CircleEnded("completed"))


def test_speaker_leaving_mid_reflection_hands_over_to_the_listener() -> None:
    tr = c.leave(reflecting(1, 2, 3, listener=3), 1, at(15))
    assert tr.effects == (
        MemberLeft(1),
        TurnEnded(1, "left"),
        TurnStarted(3, 1, Phase.SPEAKING, at(75), None),
    )


def test_a_speaker_alone_gets_no_reflection() -> None:
    tr = c.advance(running(1), at(60))
    assert tr.effects == (TurnWarning(1, at(60)), TurnEnded(1, "timed_out"), CircleEnded("completed"))


# Pause, rounds, persistence


def test_phases_started_while_paused_stay_frozen() -> None:
    state = c.pause(reflecting(1, 2, listener=2), at(12)).state
    tr = c.finish_turn(state, 2, at(500))
    assert tr.effects == (ConfirmRequested(1, 2, None, 1),)
    assert tr.state.remaining == timedelta(seconds=20)
    assert c.resume(tr.state, at(900)).state.deadline == at(920)


def test_everyone_speaks_exactly_once_per_round_when_time_just_runs() -> None:
    state = running(1, 2, 3, 4, rounds=2)
    tr = c.advance(state, at(100_000))
    speakers = [state.holder] + [e.holder for e in tr.effects if isinstance(e, TurnStarted)]
    assert speakers == [1, 2, 3, 4, 1, 2, 3, 4]
    assert tr.effects[-1] == CircleEnded("completed")
    listeners = [e.listener for e in tr.effects if isinstance(e, ListenerChosen)]
    assert all(a != b for a, b in pairwise(listeners))


def test_json_round_trips_mid_empathy_turn() -> None:
    state = c.pause(c.confirm_heard(confirming(1, 2, 3, listener=2), 1, False, at(21)).state, at(22)).state
    back = CircleState.from_json(json.loads(json.dumps(state.to_json())))
    assert back == state
    assert back.status is Status.PAUSED
    assert back.attempt == 2
