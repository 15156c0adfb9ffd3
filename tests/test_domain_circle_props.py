"""Property tests: random sequences of circle actions and clock moves keep every rule.

A rule-based state machine drives one circle per example. After every step it checks the state's
invariants, and it replays every effect through a small independent model (who is in, who had a turn this
round) so the round rules are checked from what the cog would see, not from the state's own bookkeeping.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bot.domain import circle as c
from bot.domain.circle import (
    CircleEnded,
    CircleFormat,
    CircleSettings,
    CircleState,
    ConfirmRequested,
    Effect,
    Extended,
    ListenerChosen,
    MemberJoined,
    MemberLeft,
    Paused,
    Phase,
    ReflectionStarted,
    Resumed,
    RoundOpened,
    SpeakerHeard,
    Status,
    Transition,
    TurnEnded,
    TurnPassed,
    TurnStarted,
    TurnWarning,
)
from bot.domain.floor import speakers
from bot.domain.refusal import Refusal

T0 = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)
USERS = st.integers(min_value=1, max_value=6)
PICK = st.integers(min_value=0, max_value=10)


class EffectModel:
    """What the cog would know from the effects alone, with the rules checked as they arrive."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.members: set[int] = set()
        self.round = 0
        self.counts: Counter[int] = Counter()
        self.left_this_round: set[int] = set()
        self.holder: int | None = None
        self.speaker_listener: int | None = None
        self.attempt = 0
        self.ended = False
        self.rounds_checked = 0

    def close_round(self) -> None:
        stayed = self.members - self.left_this_round
        for person in stayed:
            assert self.counts[person] == 1, f"{person} had {self.counts[person]} turns in round {self.round}"
        self.rounds_checked += 1

    def feed(self, effects: tuple[Effect, ...]) -> None:
        for effect in effects:
            assert not self.ended, f"{effect} after the circle ended"
            self.see(effect)

    def see(self, effect: Effect) -> None:
        if isinstance(effect, MemberJoined):
            assert effect.user_id not in self.members
            self.members.add(effect.user_id)
        elif isinstance(effect, MemberLeft):
            self.members.remove(effect.user_id)
            self.left_this_round.add(effect.user_id)
        elif isinstance(effect, RoundOpened):
            assert effect.round == self.round + 1 <= self.rounds
            assert self.holder is None
            if self.round:
                self.close_round()
            self.round = effect.round
            self.counts.clear()
            self.left_this_round.clear()
        elif isinstance(effect, TurnStarted):
            assert self.holder is None, "two holders at once"
            assert effect.holder in self.members
            assert self.counts[effect.holder] == 0, "a second turn in one round"
            assert effect.round == self.round
            self.holder = effect.holder
            self.attempt = 0
            self.speaker_listener = None
        elif isinstance(effect, TurnEnded):
            assert effect.holder == self.holder
            self.counts[effect.holder] += 1
            assert self.counts[effect.holder] == 1
            self.holder = None
        elif isinstance(effect, TurnPassed):
            assert self.holder is None
            assert effect.user_id in self.members
            self.counts[effect.user_id] += 1
            assert self.counts[effect.user_id] == 1
        elif isinstance(effect, TurnWarning):
            assert effect.holder == self.holder
        elif isinstance(effect, ListenerChosen):
            assert effect.speaker == self.holder
            assert effect.listener != effect.speaker
            assert effect.listener in self.members
        elif isinstance(effect, ReflectionStarted):
            assert effect.speaker == self.holder
            assert effect.listener != effect.speaker
            assert effect.listener in self.members
            # "Not quite" at most twice: the attempt only ever steps by one, up to three.
            assert effect.attempt in (self.attempt, self.attempt + 1)
            assert 1 <= effect.attempt <= c.MAX_REFLECTIONS
            self.attempt = effect.attempt
            self.speaker_listener = effect.listener
        elif isinstance(effect, ConfirmRequested | SpeakerHeard):
            assert effect.speaker == self.holder
            assert effect.listener == self.speaker_listener
        elif isinstance(effect, CircleEnded):
            assert self.holder is None
            if effect.reason == "completed":
                assert self.round == self.rounds
                self.close_round()
            elif effect.reason == "empty":
                assert not self.members
            self.ended = True


class CircleMachine(RuleBasedStateMachine):
    format = CircleFormat.TALKING_STICK

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.state = c.open_circle(CircleSettings(format=self.format))
        self.model = EffectModel(1)

    @initialize(
        turn=st.sampled_from([5, 30, 60]),
        warning=st.sampled_from([0, 10, 30]),
        rounds=st.integers(min_value=1, max_value=3),
        reflect=st.sampled_from([5, 20]),
        confirm=st.sampled_from([5, 15]),
        people=st.integers(min_value=0, max_value=4),
    )
    def open(self, turn: int, warning: int, rounds: int, reflect: int, confirm: int, people: int) -> None:
        circle_settings = CircleSettings(
            format=self.format,
            turn_seconds=turn,
            warning_seconds=warning,
            rounds=rounds,
            reflect_seconds=reflect,
            confirm_seconds=confirm,
        )
        self.state = c.open_circle(circle_settings)
        self.model = EffectModel(rounds)
        for user in range(1, people + 1):
            self.apply(c.join, user)

    # Plumbing

    def apply(self, action: Callable[..., Transition], *args: object) -> Transition | None:
        before = self.state
        try:
            tr = action(before, *args, self.now)
        except Refusal as exc:
            assert exc.message and exc.message[0].isupper() and exc.message.endswith(".")
            return None
        self.model.feed(tr.effects)
        self.state = tr.state
        return tr

    def member(self, pick: int) -> int | None:
        people = self.state.participants
        return people[pick % len(people)] if people else None

    @property
    def is_timed(self) -> bool:
        return self.state.status in (Status.RUNNING, Status.PAUSED)

    # Membership and turns

    @rule(user=USERS)
    def join(self, user: int) -> None:
        self.apply(c.join, user)

    @rule(user=USERS)
    def leave(self, user: int) -> None:
        self.apply(c.leave, user)

    @rule()
    def start(self) -> None:
        self.apply(c.start)

    @rule(user=USERS)
    def pass_turn(self, user: int) -> None:
        self.apply(c.pass_turn, user)

    @rule(user=USERS)
    def withdraw_pass(self, user: int) -> None:
        self.apply(c.withdraw_pass, user)

    @rule(user=USERS)
    def finish_turn(self, user: int) -> None:
        self.apply(c.finish_turn, user)

    @precondition(lambda self: self.state.holder is not None)
    @rule(finish=st.booleans())
    def holder_is_done(self, finish: bool) -> None:
        self.apply(c.finish_turn if finish else c.pass_turn, self.state.holder)

    @precondition(lambda self: self.state.holder is not None)
    @rule(pick=PICK)
    def someone_passes(self, pick: int) -> None:
        user = self.member(pick)
        if user is not None and user != self.state.holder:
            self.apply(c.pass_turn, user)

    @precondition(lambda self: self.state.holder is not None)
    @rule(listener=st.booleans())
    def holder_or_listener_leaves(self, listener: bool) -> None:
        who = self.state.listener if listener else self.state.holder
        if who is not None:
            assert self.apply(c.leave, who) is not None

    @rule()
    def skip(self) -> None:
        self.apply(c.skip)

    # Facilitator clock controls, each with its own exact promise

    @rule(seconds=st.integers(min_value=1, max_value=120))
    def extend(self, seconds: int) -> None:
        before = self.state
        tr = self.apply(lambda state, now: c.extend(state, seconds, now))
        if tr is None:
            return
        added = timedelta(seconds=seconds)
        assert tr.effects == (Extended(tr.state.deadline, seconds),)
        if before.status is Status.RUNNING:
            assert before.deadline is not None
            assert tr.state.deadline == before.deadline + added
        else:
            assert before.remaining is not None
            assert tr.state.remaining == before.remaining + added
        # The warning comes back exactly when the new time left is longer than the warning window.
        window = timedelta(seconds=before.settings.warning_seconds)
        left = c.time_left(tr.state, self.now)
        assert left is not None
        rearmed = before.phase is Phase.SPEAKING and left > window > timedelta(0)
        assert tr.state.warned == (before.warned and not rearmed)

    @rule()
    def pause(self) -> None:
        before = self.state
        left = c.time_left(before, self.now)
        tr = self.apply(c.pause)
        if tr is not None:
            assert tr.effects == (Paused(left),)  # type: ignore[arg-type]
            assert c.time_left(tr.state, self.now) == left

    @rule()
    def resume(self) -> None:
        before = self.state
        tr = self.apply(c.resume)
        if tr is not None:
            assert before.remaining is not None
            assert tr.effects == (Resumed(self.now + before.remaining),)
            assert c.time_left(tr.state, self.now) == before.remaining

    @precondition(lambda self: self.state.status is Status.PAUSED)
    @rule(seconds=st.integers(min_value=1, max_value=100_000))
    def long_pause(self, seconds: int) -> None:
        left = c.time_left(self.state, self.now)
        self.now += timedelta(seconds=seconds)
        tr = self.apply(c.advance)
        assert tr is not None
        assert tr.effects == ()
        assert c.time_left(tr.state, self.now) == left

    # The clock

    @rule(seconds=st.integers(min_value=0, max_value=90))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        self.apply(c.advance)

    @precondition(lambda self: c.next_deadline(self.state) is not None)
    @rule(offset=st.sampled_from([-1, 0, 1]))
    def timer_fires(self, offset: int) -> None:
        moment = c.next_deadline(self.state)
        assert moment is not None
        self.now = max(self.now, moment + timedelta(microseconds=offset))
        tr = self.apply(c.advance)
        assert tr is not None
        if offset >= 0:
            assert tr.effects, "the timer fired and nothing happened"

    @rule(seconds=st.integers(min_value=100, max_value=3_000))
    def restart_after_downtime(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        stepped, effects = self.state, list[Effect]()
        while (moment := c.next_deadline(stepped)) is not None and moment <= self.now:
            step = c.advance(stepped, moment)
            effects.extend(step.effects)
            stepped = step.state
        tr = self.apply(c.advance)
        assert tr is not None
        assert tr.state == stepped
        assert list(tr.effects) == effects

    # Invariants

    @invariant()
    def holder_and_listener_are_participants(self) -> None:
        state = self.state
        assert len(set(state.participants)) == len(state.participants)
        if state.holder is not None:
            assert state.holder in state.participants
            assert state.holder not in state.spoken
        if state.listener is not None:
            assert state.listener in state.participants
            assert state.listener != state.holder
            assert state.settings.format is CircleFormat.EMPATHY

    @invariant()
    def timing_matches_status(self) -> None:
        state = self.state
        if state.status is Status.RUNNING:
            assert state.holder is not None and state.phase is not None
            assert state.deadline is not None and state.remaining is None
            due = c.next_deadline(state)
            assert due is not None and due > self.now, "a deadline was left unapplied"
        elif state.status is Status.PAUSED:
            assert state.holder is not None and state.phase is not None
            assert state.deadline is None
            assert state.remaining is not None and state.remaining > timedelta(0)
        else:
            assert state.holder is None and state.phase is None
            assert state.deadline is None and state.remaining is None
        if state.status in (Status.RUNNING, Status.PAUSED):
            assert 1 <= state.round <= state.settings.rounds
        if state.holder is not None and not state.warned:
            assert state.phase is Phase.SPEAKING
            left = c.time_left(state, self.now)
            assert left is not None and left > timedelta(seconds=state.settings.warning_seconds)

    @invariant()
    def bookkeeping_is_consistent(self) -> None:
        state = self.state
        assert not state.passing & state.spoken
        assert state.passing <= set(state.participants)
        assert self.model.members == set(state.participants)
        assert self.model.holder == state.holder
        assert not state.left & set(state.participants), "someone both in the circle and gone"
        assert speakers(state) <= set(state.participants)
        if state.phase in (Phase.REFLECTING, Phase.CONFIRMING):
            assert state.listener is not None
            assert 1 <= state.attempt <= c.MAX_REFLECTIONS
        if state.status is Status.RUNNING and state.holder is not None:
            assert state.holder not in c.upcoming(state)

    @invariant()
    def json_round_trips(self) -> None:
        data = json.loads(json.dumps(self.state.to_json()))
        assert CircleState.from_json(data) == self.state


class EmpathyMachine(CircleMachine):
    format = CircleFormat.EMPATHY

    @precondition(lambda self: self.state.phase is Phase.SPEAKING)
    @rule(pick=PICK)
    def speaker_chooses(self, pick: int) -> None:
        speaker = self.state.holder
        listener = self.member(pick)
        candidates = c.listener_candidates(self.state)
        previous = self.state.previous_listener
        if previous in candidates:
            assert candidates == (previous,), "the last listener offered while someone else could listen"
        tr = self.apply(c.choose_listener, speaker, listener)
        assert (tr is not None) == (listener in candidates)
        if tr is not None:
            assert tr.effects == (ListenerChosen(speaker, listener, auto=False),)  # type: ignore[arg-type]

    @rule(speaker=USERS, listener=USERS)
    def anyone_chooses(self, speaker: int, listener: int) -> None:
        self.apply(c.choose_listener, speaker, listener)

    @precondition(lambda self: self.state.phase in (Phase.REFLECTING, Phase.CONFIRMING))
    @rule(heard=st.booleans())
    def speaker_answers(self, heard: bool) -> None:
        before = self.state
        tr = self.apply(c.confirm_heard, before.holder, heard)
        assert tr is not None
        if heard:
            assert tr.effects[0] == SpeakerHeard(before.holder, before.listener)  # type: ignore[arg-type]
        elif before.attempt < c.MAX_REFLECTIONS:
            assert tr.effects == (
                ReflectionStarted(before.holder, before.listener, tr.state.deadline, before.attempt + 1),  # type: ignore[arg-type]
            )
        else:
            assert tr.effects[0] == TurnEnded(before.holder, "finished")  # type: ignore[arg-type]

    @precondition(lambda self: self.state.phase in (Phase.REFLECTING, Phase.CONFIRMING))
    @rule()
    def speaker_says_not_quite(self) -> None:
        self.speaker_answers(heard=False)

    @rule(user=USERS, heard=st.booleans())
    def anyone_answers(self, user: int, heard: bool) -> None:
        self.apply(c.confirm_heard, user, heard)

    @precondition(lambda self: self.state.phase is Phase.REFLECTING)
    @rule()
    def listener_is_done(self) -> None:
        tr = self.apply(c.finish_turn, self.state.listener)
        assert tr is not None
        assert isinstance(tr.effects[0], ConfirmRequested)


FAST = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestTalkingStickCircle = CircleMachine.TestCase
TestTalkingStickCircle.settings = FAST
TestEmpathyCircle = EmpathyMachine.TestCase
TestEmpathyCircle.settings = FAST


def test_the_model_saw_whole_rounds() -> None:
    """Guard against a machine that never gets far enough to check a round."""
    machine = CircleMachine()
    machine.open(turn=5, warning=0, rounds=2, reflect=5, confirm=5, people=3)
    machine.start()
    machine.restart_after_downtime(1_000)
    assert machine.state.status is Status.ENDED
    assert machine.model.rounds_checked == 2
