"""Unit tests of the floor: who may speak, a locked channel's overwrites, who stays quiet in voice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import circle
from bot.domain.circle import CircleFormat, CircleSettings, CircleState, Enforcement, Phase, Status
from bot.domain.floor import (
    MANAGE_ROLES,
    MEMBER,
    ROLE,
    SEND,
    VIEW,
    Overwrite,
    OverwriteStep,
    Place,
    Recorded,
    kept_quiet,
    locked,
    on_stage,
    overwrite_steps,
    speakers,
    wanted_overwrite,
)

T0 = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
EMPATHY = {"format": CircleFormat.EMPATHY, "turn_seconds": 60, "warning_seconds": 10, "reflect_seconds": 30}
GUILD, BOT, FACILITATORS = 100, 200, 300
PLACE = Place(everyone=GUILD, bot=BOT, facilitator_role=FACILITATORS)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def gathered(*users: int, **settings: object) -> CircleState:
    state = circle.open_circle(CircleSettings(**settings))  # type: ignore[arg-type]
    for user in users:
        state = circle.join(state, user, T0).state
    return state


def running(*users: int, **settings: object) -> CircleState:
    return circle.start(gathered(*users, **settings), T0).state


def reflecting(*users: int) -> CircleState:
    return circle.finish_turn(running(*users, **EMPATHY), users[0], at(5)).state


def confirming(*users: int) -> CircleState:
    state = reflecting(*users)
    assert state.listener is not None
    return circle.finish_turn(state, state.listener, at(10)).state


# Who may speak


def test_nobody_speaks_before_the_start_or_after_the_end() -> None:
    assert speakers(gathered(1, 2)) == frozenset()
    assert speakers(circle.end(running(1, 2), T0).state) == frozenset()


def test_the_holder_speaks_in_a_talking_stick_circle_also_while_paused() -> None:
    assert speakers(running(1, 2)) == {1}
    assert speakers(circle.pause(running(1, 2), at(1)).state) == {1}


def test_an_empathy_speaker_speaks_alone_until_the_reflection() -> None:
    state = circle.choose_listener(running(1, 2, 3, **EMPATHY), 1, 3, at(1)).state
    assert state.phase is Phase.SPEAKING and state.listener == 3
    assert speakers(state) == {1}


def test_speaker_and_listener_both_speak_while_reflecting() -> None:
    state = reflecting(1, 2, 3)
    assert state.phase is Phase.REFLECTING and state.listener == 2
    assert speakers(state) == {1, 2}


def test_confirming_is_the_speakers_step_alone() -> None:
    state = confirming(1, 2, 3)
    assert state.phase is Phase.CONFIRMING and state.holder == 1 and state.listener == 2
    assert speakers(state) == {1}


def test_not_quite_gives_the_listener_the_floor_again() -> None:
    state = circle.confirm_heard(confirming(1, 2, 3), 1, False, at(12)).state
    assert state.phase is Phase.REFLECTING
    assert speakers(state) == {1, 2}


def test_the_listener_speaks_alone_once_they_are_the_next_speaker() -> None:
    state = circle.confirm_heard(confirming(1, 2, 3), 1, True, at(12)).state
    assert state.holder == 2 and state.phase is Phase.SPEAKING
    assert speakers(state) == {2}


# A locked text channel


def test_only_a_strict_text_circle_that_is_under_way_locks_its_channel() -> None:
    assert locked("text", running(1))
    assert locked("text", circle.pause(running(1), at(1)).state)
    assert not locked("text", gathered(1))
    assert not locked("text", circle.end(running(1), T0).state)
    assert not locked("text", running(1, enforcement=Enforcement.GENTLE))
    for kind in ("thread", "voice", "stage"):
        assert not locked(kind, running(1))


def test_locked_everyone_loses_send_and_keeps_the_rest() -> None:
    original = Overwrite(ROLE, VIEW | SEND, 0)
    assert wanted_overwrite(GUILD, original, PLACE, {1}, lock=True) == Overwrite(ROLE, VIEW, SEND)


def test_locked_the_bot_keeps_what_it_needs_to_hand_the_stick_on() -> None:
    wanted = wanted_overwrite(BOT, Overwrite(MEMBER, 0, SEND | VIEW), PLACE, set(), lock=True)
    assert wanted == Overwrite(MEMBER, SEND | VIEW | MANAGE_ROLES, 0)


def test_locked_facilitators_and_who_may_speak_can_send_and_others_cannot() -> None:
    assert wanted_overwrite(FACILITATORS, Overwrite(ROLE, 0, SEND), PLACE, set(), lock=True) == Overwrite(ROLE, SEND, 0)
    assert wanted_overwrite(1, Overwrite(MEMBER, 0, 0), PLACE, {1}, lock=True) == Overwrite(MEMBER, SEND, 0)
    # A role that allows sending would beat the @everyone deny; a member overwrite with no send stays.
    assert wanted_overwrite(7, Overwrite(ROLE, SEND | VIEW, 0), PLACE, {1}, lock=True) == Overwrite(ROLE, VIEW, 0)
    assert wanted_overwrite(2, Overwrite(MEMBER, VIEW, 0), PLACE, {1}, lock=True) == Overwrite(MEMBER, VIEW, 0)


def test_unlocked_every_overwrite_is_what_it_was() -> None:
    original = Overwrite(MEMBER, VIEW, SEND)
    assert wanted_overwrite(1, original, PLACE, {1}, lock=False) == original


def test_locking_a_fresh_channel_records_each_target_first_and_denies_everyone_last() -> None:
    steps = overwrite_steps({}, {}, PLACE, {1}, lock=True)
    assert [s.target for s in steps] == [BOT, FACILITATORS, GUILD, 1]
    assert all(s.remember == Recorded(Overwrite(s.remember.value.kind, 0, 0), False) for s in steps if s.remember)
    assert steps[2].put == Overwrite(ROLE, 0, SEND)
    assert steps[3].put == Overwrite(MEMBER, SEND, 0)


def test_a_turn_change_touches_two_overwrites_whatever_the_size() -> None:
    recorded = {t: Recorded(Overwrite(k, 0, 0), False) for t, k in ((BOT, MEMBER), (GUILD, ROLE), (1, MEMBER))}
    current = {
        BOT: Overwrite(MEMBER, SEND | VIEW | MANAGE_ROLES, 0),
        GUILD: Overwrite(ROLE, 0, SEND),
        1: Overwrite(MEMBER, SEND, 0),
    }
    place = Place(everyone=GUILD, bot=BOT)
    steps = overwrite_steps(current, recorded, place, {2}, lock=True)
    assert steps == [
        OverwriteStep(1, delete=True, forget=True),
        OverwriteStep(2, remember=Recorded(Overwrite(MEMBER, 0, 0), False), put=Overwrite(MEMBER, SEND, 0)),
    ]


def test_unlocking_opens_everyone_first_and_puts_back_what_existed() -> None:
    recorded = {
        BOT: Recorded(Overwrite(MEMBER, 0, 0), False),
        GUILD: Recorded(Overwrite(ROLE, VIEW, 0), True),
        5: Recorded(Overwrite(ROLE, SEND, 0), True),
    }
    current = {
        BOT: Overwrite(MEMBER, SEND | VIEW | MANAGE_ROLES, 0),
        GUILD: Overwrite(ROLE, VIEW, SEND),
        5: Overwrite(ROLE, 0, 0),
    }
    steps = overwrite_steps(current, recorded, PLACE, set(), lock=False)
    assert steps == [
        OverwriteStep(GUILD, put=Overwrite(ROLE, VIEW, 0), forget=True),
        OverwriteStep(BOT, delete=True, forget=True),
        OverwriteStep(5, put=Overwrite(ROLE, SEND, 0), forget=True),
    ]


def test_a_channel_already_as_wanted_needs_no_call() -> None:
    current = {GUILD: Overwrite(ROLE, 0, SEND), BOT: Overwrite(MEMBER, SEND | VIEW | MANAGE_ROLES, 0)}
    recorded = {GUILD: Recorded(Overwrite(ROLE, 0, 0), True), BOT: Recorded(Overwrite(MEMBER, 0, 0), False)}
    steps = overwrite_steps(current, recorded, Place(everyone=GUILD, bot=BOT), set(), lock=True)
    assert all(s.put is None and not s.delete for s in steps)


# Voice and stage


def test_in_voice_everyone_present_is_quiet_but_who_may_speak_and_facilitators() -> None:
    state = running(1, 2, 3)
    assert kept_quiet(state, [1, 2, 3, 9], facilitators={9}) == {2, 3}
    assert kept_quiet(gathered(1, 2), [1, 2]) == frozenset()
    assert kept_quiet(circle.end(state, T0).state, [1, 2, 3]) == frozenset()


def test_someone_who_left_the_circle_is_not_kept_quiet_until_they_join_again() -> None:
    state = circle.leave(running(1, 2, 3), 3, at(1)).state
    assert state.left == {3}
    assert kept_quiet(state, [1, 2, 3]) == {2}
    back = circle.join(state, 3, at(2)).state
    assert back.left == frozenset()
    assert kept_quiet(back, [1, 2, 3]) == {2, 3}


def test_people_in_the_channel_who_never_joined_are_quiet_during_a_turn() -> None:
    assert kept_quiet(running(1), [1, 4]) == {4}


def test_on_a_stage_who_may_speak_and_is_present_is_brought_up() -> None:
    state = reflecting(1, 2, 3)
    assert on_stage(state, [1, 2, 3]) == {1, 2}
    assert on_stage(state, [1, 3]) == {1}
    assert on_stage(circle.end(state, at(6)).state, [1, 2]) == frozenset()
    assert state.status is Status.RUNNING
