"""The private replies of circle steps come from what the step did (its effects), never from re-reading the phase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import circle
from bot.domain.circle import CircleFormat, CircleSettings, CircleState
from cogs.circles import announce, texts

T0 = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
EMPATHY = CircleSettings(format=CircleFormat.EMPATHY, turn_seconds=60, warning_seconds=10, reflect_seconds=30)


def running(*users: int, settings: CircleSettings | None = None) -> CircleState:
    state = circle.open_circle(settings or CircleSettings(turn_seconds=60, warning_seconds=10))
    for user in users:
        state = circle.join(state, user, T0).state
    return circle.start(state, T0).state


def test_passing_a_coming_turn_is_noted() -> None:
    tr = circle.pass_turn(running(1, 2), 2, T0)
    assert announce.pass_reply(2)(tr) == texts.PASS_NOTED


def test_the_holder_passing_has_finished_and_an_empathy_speaker_passing_skips_the_reflection() -> None:
    assert announce.pass_reply(1)(circle.pass_turn(running(1, 2), 1, T0)) == texts.DONE_THANKS
    assert announce.pass_reply(1)(circle.pass_turn(running(1, 2, settings=EMPATHY), 1, T0)) == texts.SPEAKER_PASSED


def test_an_empathy_speaker_passing_while_reflected_has_finished_sharing() -> None:
    reflecting = circle.finish_turn(running(1, 2, settings=EMPATHY), 1, T0).state
    assert announce.pass_reply(1)(circle.pass_turn(reflecting, 1, T0)) == texts.DONE_THANKS


def test_im_done_thanks_the_speaker_for_sharing_and_the_listener_for_reflecting() -> None:
    state = running(1, 2, settings=EMPATHY)
    tr = circle.finish_turn(state, 1, T0)
    assert announce.done_reply(1)(tr) == texts.DONE_THANKS
    tr = circle.finish_turn(tr.state, 2, T0 + timedelta(seconds=5))
    assert announce.done_reply(2)(tr) == texts.REFLECTED_THANKS


def test_joining_before_the_start_or_during_a_round() -> None:
    gathering = circle.open_circle(CircleSettings())
    assert announce.join_reply(circle.join(gathering, 1, T0)) == texts.JOINED
    assert announce.join_reply(circle.join(running(1), 2, T0)) == texts.JOINED_MID


def test_a_fixed_reply_is_itself_and_none_is_none() -> None:
    tr = circle.advance(running(1), T0)
    assert announce.reply_text(texts.STARTED, tr) == texts.STARTED
    assert announce.reply_text(None, tr) is None
