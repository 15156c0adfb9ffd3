"""The circle state machine: who holds the talking stick, for how long, and what happens next.

Pure rules: user ids and aware datetimes in, an immutable :class:`CircleState` plus a tuple of effects out.
The module never reads the clock (``now`` always comes in) and knows nothing of Discord or settings. The cog
persists ``state.to_json()`` after every transition, applies the effects in order, and arms one timer at
:func:`next_deadline`; when it fires, or once after a restart, it calls :func:`advance`.

Rules and the decisions taken where the spec is silent:

- **Catching up.** Every transition first applies every deadline ``<= now`` (exactly as :func:`advance`
  would), then the action itself, so a late timer never lets anyone act on a turn that is already over.
  Timeouts take effect *at their deadline*, not at ``now``: after downtime, the next turn's clock starts
  where the last one ended, so several turns may pass in one call. Overdue warnings are emitted too, in
  order, with their (past) ``ends_at``; the cog may drop a warning whose ``ends_at`` is already gone.
- **Time.** ``now`` must be aware; it is normalised to UTC. While RUNNING the phase has a ``deadline``
  (``remaining`` is None); while PAUSED it has ``remaining`` (``deadline`` is None); otherwise both are None.
- **Order.** Each round follows join order: the next holder is the first participant not in ``spoken``.
  A pending pass is consumed as :class:`TurnPassed` (the person counts as spoken) instead of a turn.
  ``spoken`` keeps people who left, so leaving and rejoining in the same round never gives a second turn;
  a pending pass is dropped when its owner leaves. Joiners are appended, so they speak later this round.
- **Passing.** ``pass_turn`` by the holder ends the turn: ``"finished"`` in talking-stick (their "I'm done"),
  ``"passed"`` for an empathy speaker still in SPEAKING (no reflection), ``"finished"`` for one already
  being reflected (they have shared). Anyone else passes their coming turn
  of this round (in GATHERING: of round 1); passing twice, or after one's turn this round, is refused kindly.
  :func:`withdraw_pass` takes a pending pass back. Pending passes are cleared when a round opens.
- **Pause.** Freezes the clock of the current phase. Leaving, skipping, finishing and empathy steps still
  work while paused: the stick moves and the new phase starts frozen with its full length; such effects
  carry ``ends_at=None`` ("starts when resumed").
- **Warning.** Only in the SPEAKING phase, once, at ``deadline - warning_seconds``, and only if the phase is
  longer than the warning; ``warning_seconds == 0`` turns warnings off. ``warned`` means "no warning is
  pending". Extending re-arms the warning when the new time left is longer than the warning window again.
- **Extend.** Adds exactly ``seconds`` (1 to 86,400) to the current phase: to ``deadline`` while RUNNING, to
  ``remaining`` while PAUSED.
- **End.** A facilitator may end a gathering, running or paused circle. A turn in progress is closed with
  ``TurnEnded(holder, "finished")`` (they were sharing; attendance counts it) before ``CircleEnded``.
  A running or paused circle whose last participant leaves ends with ``"empty"``; a gathering one stays open.
- **Enforcement** (strict or gentle) does not change these rules; it only tells the cog how to keep the floor.
- **Refusals.** Every request the rules do not allow raises :class:`bot.domain.refusal.Refusal` with a stable
  key (``circle.holder_only``, ``circle.not_member``, ...) and one kind sentence, before anything changes.
- **Who left.** ``left`` holds the people who left and have not come back (joining again takes them out): a
  voice circle stops keeping them quiet. States saved before it existed read as nobody having left.

Empathy format:

- The ``holder`` is the speaker for the whole turn; who may talk right now is
  :func:`bot.domain.floor.speakers` (the speaker, and the listener while REFLECTING). Phases: SPEAKING
  (``turn_seconds``), REFLECTING (``reflect_seconds``), CONFIRMING (``confirm_seconds``). Only SPEAKING gets a
  warning.
- The speaker may pick (and re-pick) a listener while SPEAKING. When speaking ends (time, or the speaker's
  :func:`finish_turn`) with no choice, the bot picks the first of :func:`listener_candidates`: people after
  the speaker in circle order who still have to speak this round and are not passing; else anyone else not
  passing; else anyone else; the previous listener is left out while that group has anyone else. A speaker alone in
  the circle gets no reflection: the turn just ends.
- The listener's :func:`finish_turn` ends the reflection early; a reflection that times out asks the speaker
  to confirm. The speaker may answer :func:`confirm_heard` during REFLECTING or CONFIRMING. "Not quite"
  starts another reflection, at most twice per turn (``attempt`` 1 to 3); a third "Not quite" closes the
  turn kindly without :class:`SpeakerHeard`. CONFIRMING timing out counts as heard.
- A turn that got as far as REFLECTING, however it ends (heard, skip, speaker leaves or passes), makes its
  listener the preferred next holder if they still have to speak this round (a pending pass is consumed
  instead); otherwise the normal order continues. Such a listener becomes ``previous_listener``.
- A listener who leaves while chosen in SPEAKING is simply unchosen. One who leaves mid-reflection is
  replaced by an automatic pick with a fresh reflection at the same ``attempt``; with nobody left to
  listen, the turn ends as ``"finished"``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, TypeAlias

from bot.domain.refusal import Refusal

log = logging.getLogger(__name__)

MAX_ROUNDS = 5
MAX_REFLECTIONS = 3
"""The first reflection plus at most two more after "Not quite"."""
MAX_EXTEND_SECONDS = 86_400
JSON_VERSION = 1


class CircleFormat(StrEnum):
    TALKING_STICK = "talking-stick"
    EMPATHY = "empathy"


class Enforcement(StrEnum):
    STRICT = "strict"
    GENTLE = "gentle"


class Status(StrEnum):
    GATHERING = "gathering"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class Phase(StrEnum):
    SPEAKING = "speaking"
    REFLECTING = "reflecting"
    CONFIRMING = "confirming"


TurnEndReason: TypeAlias = Literal["finished", "passed", "timed_out", "skipped", "left"]
CircleEndReason: TypeAlias = Literal["facilitator", "completed", "empty"]


@dataclass(frozen=True, slots=True)
class CircleSettings:
    format: CircleFormat = CircleFormat.TALKING_STICK
    turn_seconds: int = 180
    rounds: int = 1
    enforcement: Enforcement = Enforcement.STRICT
    warning_seconds: int = 30
    reflect_seconds: int = 90
    confirm_seconds: int = 60
    # The prompt deck chosen at `/circle open` for every round; None: check-in first, closing last.
    deck: str | None = None

    def __post_init__(self) -> None:
        if self.turn_seconds < 1:
            raise Refusal("circle.turn_too_short", "A turn needs to last at least one second.")
        if not 1 <= self.rounds <= MAX_ROUNDS:
            raise Refusal("circle.rounds_out_of_range", f"A circle can have from one to {MAX_ROUNDS} rounds.")
        if self.warning_seconds < 0:
            raise Refusal("circle.warning_negative", "The warning time can't be negative; use 0 to turn warnings off.")
        if self.reflect_seconds < 1 or self.confirm_seconds < 1:
            raise Refusal("circle.phase_too_short", "Reflecting and confirming each need at least one second.")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format.value,
            "turn_seconds": self.turn_seconds,
            "rounds": self.rounds,
            "enforcement": self.enforcement.value,
            "warning_seconds": self.warning_seconds,
            "reflect_seconds": self.reflect_seconds,
            "confirm_seconds": self.confirm_seconds,
            "deck": self.deck,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CircleSettings:
        return cls(
            format=CircleFormat(data["format"]),
            turn_seconds=int(data["turn_seconds"]),
            rounds=int(data["rounds"]),
            enforcement=Enforcement(data["enforcement"]),
            warning_seconds=int(data["warning_seconds"]),
            reflect_seconds=int(data["reflect_seconds"]),
            confirm_seconds=int(data["confirm_seconds"]),
            deck=data.get("deck"),
        )


# Effects: what happened, in order, for the cog to show on Discord and record.


@dataclass(frozen=True, slots=True)
class MemberJoined:
    user_id: int


@dataclass(frozen=True, slots=True)
class MemberLeft:
    user_id: int


@dataclass(frozen=True, slots=True)
class CircleStarted:
    pass


@dataclass(frozen=True, slots=True)
class RoundOpened:
    round: int
    rounds: int


@dataclass(frozen=True, slots=True)
class TurnStarted:
    holder: int
    round: int
    phase: Phase
    ends_at: datetime | None  # None: the circle is paused; the clock starts on resume
    listener: int | None


@dataclass(frozen=True, slots=True)
class TurnWarning:
    holder: int
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class TurnEnded:
    holder: int
    reason: TurnEndReason


@dataclass(frozen=True, slots=True)
class TurnPassed:
    """A pass asked for earlier was used: ``user_id`` is counted for this round without a turn."""

    user_id: int


@dataclass(frozen=True, slots=True)
class PassNoted:
    """``user_id`` asked to pass their coming turn (not yet consumed)."""

    user_id: int


@dataclass(frozen=True, slots=True)
class PassWithdrawn:
    user_id: int


@dataclass(frozen=True, slots=True)
class Paused:
    remaining: timedelta


@dataclass(frozen=True, slots=True)
class Resumed:
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Extended:
    ends_at: datetime | None  # None while paused
    seconds: int


@dataclass(frozen=True, slots=True)
class ListenerChosen:
    speaker: int
    listener: int
    auto: bool


@dataclass(frozen=True, slots=True)
class ReflectionStarted:
    speaker: int
    listener: int
    ends_at: datetime | None
    attempt: int


@dataclass(frozen=True, slots=True)
class ConfirmRequested:
    speaker: int
    listener: int
    ends_at: datetime | None
    attempt: int  # when attempt == MAX_REFLECTIONS, "Not quite" closes the turn instead of asking again


@dataclass(frozen=True, slots=True)
class SpeakerHeard:
    speaker: int
    listener: int


@dataclass(frozen=True, slots=True)
class CircleEnded:
    reason: CircleEndReason


Effect: TypeAlias = (
    MemberJoined
    | MemberLeft
    | CircleStarted
    | RoundOpened
    | TurnStarted
    | TurnWarning
    | TurnEnded
    | TurnPassed
    | PassNoted
    | PassWithdrawn
    | Paused
    | Resumed
    | Extended
    | ListenerChosen
    | ReflectionStarted
    | ConfirmRequested
    | SpeakerHeard
    | CircleEnded
)


@dataclass(frozen=True, slots=True)
class CircleState:
    """One circle at one moment. Invariants are listed in the module docstring."""

    settings: CircleSettings
    status: Status = Status.GATHERING
    participants: tuple[int, ...] = ()
    round: int = 0
    holder: int | None = None
    phase: Phase | None = None
    listener: int | None = None
    spoken: frozenset[int] = frozenset()
    passing: frozenset[int] = frozenset()
    deadline: datetime | None = None
    remaining: timedelta | None = None
    warned: bool = False
    attempt: int = 0
    previous_listener: int | None = None
    left: frozenset[int] = frozenset()
    """Who left the circle and has not joined again (a voice circle no longer keeps them quiet)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "v": JSON_VERSION,
            "settings": self.settings.to_json(),
            "status": self.status.value,
            "participants": list(self.participants),
            "round": self.round,
            "holder": self.holder,
            "phase": None if self.phase is None else self.phase.value,
            "listener": self.listener,
            "spoken": sorted(self.spoken),
            "passing": sorted(self.passing),
            "deadline": None if self.deadline is None else self.deadline.isoformat(),
            # Whole microseconds, so the frozen time round-trips exactly.
            "remaining_us": None if self.remaining is None else self.remaining // _MICROSECOND,
            "warned": self.warned,
            "attempt": self.attempt,
            "previous_listener": self.previous_listener,
            "left": sorted(self.left),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CircleState:
        try:
            if data["v"] != JSON_VERSION:
                raise ValueError(f"unknown version {data['v']!r}")
            deadline = data["deadline"]
            remaining = data["remaining_us"]
            phase = data["phase"]
            return cls(
                settings=CircleSettings.from_json(data["settings"]),
                status=Status(data["status"]),
                participants=tuple(int(p) for p in data["participants"]),
                round=int(data["round"]),
                holder=_opt_int(data["holder"]),
                phase=None if phase is None else Phase(phase),
                listener=_opt_int(data["listener"]),
                spoken=frozenset(int(p) for p in data["spoken"]),
                passing=_people(data["passing"]),
                deadline=None if deadline is None else _utc(datetime.fromisoformat(deadline)),
                remaining=None if remaining is None else timedelta(microseconds=int(remaining)),
                warned=bool(data["warned"]),
                attempt=int(data["attempt"]),
                previous_listener=_opt_int(data["previous_listener"]),
                # Saved before `left` was part of the state: nobody is known to have left.
                left=_people(data.get("left", ())),
            )
        except (KeyError, TypeError, ValueError, Refusal) as exc:
            raise ValueError(f"not a saved circle state: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class Transition:
    state: CircleState
    effects: tuple[Effect, ...]


_MICROSECOND = timedelta(microseconds=1)
_TIMED = (Status.RUNNING, Status.PAUSED)


_NOBODY: frozenset[int] = frozenset()
"""One shared empty set: most circles have nobody passing and nobody gone, and each empty set costs 216 bytes."""


def _people(values: Any) -> frozenset[int]:
    return frozenset(int(p) for p in values) if values else _NOBODY


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError("circle times must be timezone-aware")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


class _Draft:
    """A mutable working copy for one transition, so a chain of steps costs one copy in and one out."""

    __slots__ = (
        "attempt",
        "deadline",
        "effects",
        "holder",
        "left",
        "listener",
        "participants",
        "passing",
        "phase",
        "previous_listener",
        "remaining",
        "round",
        "settings",
        "spoken",
        "status",
        "warned",
    )

    def __init__(self, state: CircleState) -> None:
        self.settings = state.settings
        self.status = state.status
        self.participants = state.participants
        self.round = state.round
        self.holder = state.holder
        self.phase = state.phase
        self.listener = state.listener
        self.spoken = set(state.spoken)
        self.passing = set(state.passing)
        self.deadline = state.deadline
        self.remaining = state.remaining
        self.warned = state.warned
        self.attempt = state.attempt
        self.previous_listener = state.previous_listener
        self.left = state.left  # a frozenset, replaced (never changed in place) by the rare join or leave
        self.effects: list[Effect] = []

    def done(self) -> Transition:
        state = CircleState(
            settings=self.settings,
            status=self.status,
            participants=self.participants,
            round=self.round,
            holder=self.holder,
            phase=self.phase,
            listener=self.listener,
            spoken=frozenset(self.spoken),
            passing=frozenset(self.passing) if self.passing else _NOBODY,
            deadline=self.deadline,
            remaining=self.remaining,
            warned=self.warned,
            attempt=self.attempt,
            previous_listener=self.previous_listener,
            left=self.left or _NOBODY,
        )
        return Transition(state, tuple(self.effects))

    @property
    def empathy(self) -> bool:
        return self.settings.format is CircleFormat.EMPATHY


# Building blocks. Each takes the moment ``t`` the step happens (a deadline when catching up).


def _begin(state: CircleState, now: datetime) -> tuple[_Draft, datetime]:
    now = _utc(now)
    draft = _Draft(state)
    if draft.status is Status.RUNNING:
        _catch_up(draft, now)
    return draft, now


def _catch_up(d: _Draft, now: datetime) -> None:
    while d.status is Status.RUNNING and d.deadline is not None:
        deadline = d.deadline
        if not d.warned:
            if deadline - timedelta(seconds=d.settings.warning_seconds) > now:
                return
            d.warned = True
            assert d.holder is not None
            d.effects.append(TurnWarning(d.holder, deadline))
            continue
        if deadline > now:
            return
        _time_up(d, deadline)


def _time_up(d: _Draft, t: datetime) -> None:
    if d.phase is Phase.SPEAKING:
        if d.empathy:
            _begin_reflection(d, t, "timed_out")
        else:
            _end_turn(d, t, "timed_out")
    elif d.phase is Phase.REFLECTING:
        _ask_confirmation(d, t)
    else:
        _heard(d, t)


def _arm(d: _Draft, t: datetime, phase: Phase) -> datetime | None:
    """Start the clock of ``phase``; return when it ends, or None while paused."""
    settings = d.settings
    if phase is Phase.SPEAKING:
        seconds = settings.turn_seconds
        d.warned = not 0 < settings.warning_seconds < seconds
    else:
        seconds = settings.reflect_seconds if phase is Phase.REFLECTING else settings.confirm_seconds
        d.warned = True
    d.phase = phase
    length = timedelta(seconds=seconds)
    if d.status is Status.RUNNING:
        d.deadline = t + length
        d.remaining = None
    else:
        d.deadline = None
        d.remaining = length
    return d.deadline


def _start_turn(d: _Draft, t: datetime, holder: int) -> None:
    d.holder = holder
    d.listener = None
    d.attempt = 0
    ends_at = _arm(d, t, Phase.SPEAKING)
    d.effects.append(TurnStarted(holder, d.round, Phase.SPEAKING, ends_at, None))


def _end_turn(d: _Draft, t: datetime, reason: TurnEndReason) -> None:
    holder = d.holder
    assert holder is not None
    prefer = None
    if d.listener is not None and d.phase is not Phase.SPEAKING:
        prefer = d.previous_listener = d.listener
    d.spoken.add(holder)
    d.effects.append(TurnEnded(holder, reason))
    d.holder = d.phase = d.listener = d.deadline = d.remaining = None
    d.warned = False
    d.attempt = 0
    _next_turn(d, t, prefer)


def _next_turn(d: _Draft, t: datetime, prefer: int | None) -> None:
    while d.participants:
        order: tuple[int, ...] = d.participants
        if prefer is not None and prefer in order:
            order = (prefer, *order)
        prefer = None
        for person in order:
            if person in d.spoken:
                continue
            if person in d.passing:
                d.passing.discard(person)
                d.spoken.add(person)
                d.effects.append(TurnPassed(person))
                continue
            _start_turn(d, t, person)
            return
        if d.round >= d.settings.rounds:
            _close(d, "completed")
            return
        d.round += 1
        d.spoken.clear()
        d.passing.clear()
        d.effects.append(RoundOpened(d.round, d.settings.rounds))
    _close(d, "empty")


def _close(d: _Draft, reason: CircleEndReason) -> None:
    d.status = Status.ENDED
    d.holder = d.phase = d.listener = d.deadline = d.remaining = None
    d.warned = False
    d.attempt = 0
    d.effects.append(CircleEnded(reason))


def _candidates(
    participants: tuple[int, ...],
    speaker: int,
    spoken: set[int] | frozenset[int],
    passing: set[int] | frozenset[int],
    previous: int | None,
) -> tuple[int, ...]:
    at = participants.index(speaker)
    others = participants[at + 1 :] + participants[:at]
    tier = [p for p in others if p not in spoken and p not in passing]
    if not tier:
        tier = [p for p in others if p not in passing] or list(others)
    if previous is not None and len(tier) > 1 and previous in tier:
        tier.remove(previous)
    return tuple(tier)


def _begin_reflection(d: _Draft, t: datetime, reason_if_alone: TurnEndReason) -> None:
    speaker = d.holder
    assert speaker is not None
    if d.listener is None:
        candidates = _candidates(d.participants, speaker, d.spoken, d.passing, d.previous_listener)
        if not candidates:
            _end_turn(d, t, reason_if_alone)
            return
        d.listener = candidates[0]
        d.effects.append(ListenerChosen(speaker, d.listener, auto=True))
    d.attempt = 1
    ends_at = _arm(d, t, Phase.REFLECTING)
    d.effects.append(ReflectionStarted(speaker, d.listener, ends_at, d.attempt))


def _ask_confirmation(d: _Draft, t: datetime) -> None:
    assert d.holder is not None and d.listener is not None
    ends_at = _arm(d, t, Phase.CONFIRMING)
    d.effects.append(ConfirmRequested(d.holder, d.listener, ends_at, d.attempt))


def _heard(d: _Draft, t: datetime) -> None:
    assert d.holder is not None and d.listener is not None
    d.effects.append(SpeakerHeard(d.holder, d.listener))
    _end_turn(d, t, "finished")


def _replace_listener(d: _Draft, t: datetime) -> None:
    """Let someone else reflect after the listener left mid-reflection, or end the turn if nobody can."""
    speaker = d.holder
    assert speaker is not None
    d.listener = None
    candidates = _candidates(d.participants, speaker, d.spoken, d.passing, d.previous_listener)
    if not candidates:
        _end_turn(d, t, "finished")
        return
    d.listener = candidates[0]
    d.effects.append(ListenerChosen(speaker, d.listener, auto=True))
    ends_at = _arm(d, t, Phase.REFLECTING)
    d.effects.append(ReflectionStarted(speaker, d.listener, ends_at, d.attempt))


# Checks, each with the sentence the person sees.


def _require_open(d: _Draft) -> None:
    if d.status is Status.ENDED:
        raise Refusal("circle.ended", "This circle has already ended.")


def _require_started(d: _Draft) -> None:
    _require_open(d)
    if d.status is Status.GATHERING:
        raise Refusal("circle.not_started", "The circle hasn't started yet.")


def _require_member(d: _Draft, user_id: int) -> None:
    if user_id not in d.participants:
        raise Refusal("circle.not_member", "You're not in this circle. You're welcome to join it first.")


def _require_empathy(d: _Draft) -> None:
    if not d.empathy:
        raise Refusal(
            "circle.empathy_only", "That's only part of empathy circles, and this one uses the talking stick."
        )


# The public transitions.


def open_circle(settings: CircleSettings) -> CircleState:
    return CircleState(settings=settings)


def join(state: CircleState, user_id: int, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_open(d)
    if user_id in d.participants:
        raise Refusal("circle.already_member", "You're already in this circle.")
    d.participants = (*d.participants, user_id)
    if user_id in d.left:
        d.left = d.left - {user_id}
    d.effects.append(MemberJoined(user_id))
    return d.done()


def leave(state: CircleState, user_id: int, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_open(d)
    _require_member(d, user_id)
    d.participants = tuple(p for p in d.participants if p != user_id)
    d.passing.discard(user_id)
    d.left = d.left | {user_id}
    d.effects.append(MemberLeft(user_id))
    if d.status not in _TIMED:
        return d.done()
    if user_id == d.holder:
        _end_turn(d, now, "left")
    elif user_id == d.listener:
        if d.phase is Phase.SPEAKING:
            d.listener = None
        else:
            _replace_listener(d, now)
    return d.done()


def start(state: CircleState, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_open(d)
    if d.status is not Status.GATHERING:
        raise Refusal("circle.already_started", "The circle has already started.")
    if not d.participants:
        raise Refusal("circle.nobody_joined", "Nobody has joined yet, so there is no one to pass the stick to.")
    d.status = Status.RUNNING
    d.round = 1
    d.spoken.clear()
    d.effects.append(CircleStarted())
    d.effects.append(RoundOpened(1, d.settings.rounds))
    _next_turn(d, now, None)  # passes asked for while gathering apply to round 1
    return d.done()


def pass_turn(state: CircleState, user_id: int, now: datetime) -> Transition:
    """Let the holder finish early, or anyone else pass their coming turn; no reason is ever asked."""
    d, now = _begin(state, now)
    _require_open(d)
    _require_member(d, user_id)
    if user_id == d.holder:
        if d.empathy and d.phase is Phase.SPEAKING:
            _end_turn(d, now, "passed")
        else:
            _end_turn(d, now, "finished")
        return d.done()
    if user_id in d.spoken:
        raise Refusal("circle.already_spoken", "You've already had your turn this round.")
    if user_id in d.passing:
        raise Refusal("circle.already_passing", "You've already passed your coming turn, and that's okay.")
    d.passing.add(user_id)
    d.effects.append(PassNoted(user_id))
    return d.done()


def withdraw_pass(state: CircleState, user_id: int, now: datetime) -> Transition:
    """Take back a pass asked for earlier, so the person gets their turn after all."""
    d, now = _begin(state, now)
    _require_open(d)
    _require_member(d, user_id)
    if user_id not in d.passing:
        raise Refusal(
            "circle.no_pass_to_withdraw", "You haven't passed your coming turn, so there is nothing to take back."
        )
    d.passing.discard(user_id)
    d.effects.append(PassWithdrawn(user_id))
    return d.done()


def finish_turn(state: CircleState, user_id: int, now: datetime) -> Transition:
    """Say "I'm done": the holder ends their turn, or in empathy ends their current phase."""
    d, now = _begin(state, now)
    _require_started(d)
    if d.empathy and d.phase is Phase.SPEAKING and user_id == d.holder:
        _begin_reflection(d, now, "finished")
    elif d.empathy and d.phase is Phase.REFLECTING and user_id == d.listener:
        _ask_confirmation(d, now)
    elif user_id == d.holder:
        _end_turn(d, now, "finished")
    elif user_id == d.listener:
        raise Refusal(
            "circle.listener_done", "Thank you for reflecting; the speaker can now say whether they feel heard."
        )
    else:
        raise Refusal("circle.holder_only", "Only the person holding the stick can do that.")
    return d.done()


def skip(state: CircleState, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_started(d)
    _end_turn(d, now, "skipped")
    return d.done()


def extend(state: CircleState, seconds: int, now: datetime) -> Transition:
    if seconds < 1:
        raise Refusal("circle.extend_too_little", "Please add at least one second.")
    if seconds > MAX_EXTEND_SECONDS:
        raise Refusal("circle.extend_too_much", "A turn can be extended by at most a day at a time.")
    d, now = _begin(state, now)
    _require_started(d)
    added = timedelta(seconds=seconds)
    if d.deadline is not None:
        d.deadline += added
        left = d.deadline - now
    else:
        assert d.remaining is not None
        d.remaining += added
        left = d.remaining
    if d.phase is Phase.SPEAKING and left > timedelta(seconds=d.settings.warning_seconds) > timedelta(0):
        d.warned = False
    d.effects.append(Extended(d.deadline, seconds))
    return d.done()


def pause(state: CircleState, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_started(d)
    if d.status is Status.PAUSED:
        raise Refusal("circle.already_paused", "The circle is already paused.")
    assert d.deadline is not None
    d.remaining = d.deadline - now
    d.deadline = None
    d.status = Status.PAUSED
    d.effects.append(Paused(d.remaining))
    return d.done()


def resume(state: CircleState, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_started(d)
    if d.status is not Status.PAUSED:
        raise Refusal("circle.not_paused", "The circle isn't paused.")
    assert d.remaining is not None
    d.deadline = now + d.remaining
    d.remaining = None
    d.status = Status.RUNNING
    d.effects.append(Resumed(d.deadline))
    _catch_up(d, now)  # only matters for a state saved with no time left
    return d.done()


def end(state: CircleState, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_open(d)
    if d.holder is not None:
        d.effects.append(TurnEnded(d.holder, "finished"))
        d.spoken.add(d.holder)
    _close(d, "facilitator")
    return d.done()


def choose_listener(state: CircleState, speaker_id: int, listener_id: int, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_empathy(d)
    _require_started(d)
    if speaker_id != d.holder:
        raise Refusal("circle.speaker_chooses", "Only the person speaking can choose their listener.")
    if d.phase is not Phase.SPEAKING:
        raise Refusal("circle.listener_reflecting", "Your listener is already reflecting for this turn.")
    if listener_id == speaker_id:
        raise Refusal("circle.listener_self", "Please choose someone other than yourself to listen.")
    if listener_id not in d.participants:
        raise Refusal("circle.listener_absent", "That person isn't in this circle right now.")
    if listener_id not in _candidates(d.participants, speaker_id, d.spoken, d.passing, d.previous_listener):
        if listener_id == d.previous_listener:
            raise Refusal(
                "circle.listener_again", "They listened last time; please choose someone else so listening goes around."
            )
        if listener_id in d.passing:
            raise Refusal("circle.listener_passing", "They've chosen to pass this round; please choose someone else.")
        raise Refusal(
            "circle.listener_spoke", "They've already spoken this round; please choose someone who hasn't yet."
        )
    d.listener = listener_id
    d.effects.append(ListenerChosen(speaker_id, listener_id, auto=False))
    return d.done()


def confirm_heard(state: CircleState, speaker_id: int, heard: bool, now: datetime) -> Transition:
    d, now = _begin(state, now)
    _require_empathy(d)
    _require_started(d)
    if speaker_id != d.holder:
        raise Refusal("circle.speaker_only", "Only the speaker can say whether they feel heard.")
    if d.phase is Phase.SPEAKING:
        raise Refusal("circle.not_reflected_yet", "Your listener hasn't reflected back yet.")
    if heard:
        _heard(d, now)
    elif d.attempt < MAX_REFLECTIONS:
        assert d.listener is not None
        d.attempt += 1
        ends_at = _arm(d, now, Phase.REFLECTING)
        d.effects.append(ReflectionStarted(speaker_id, d.listener, ends_at, d.attempt))
    else:
        _end_turn(d, now, "finished")
    return d.done()


def advance(state: CircleState, now: datetime) -> Transition:
    """Apply every warning and timeout due at or before ``now``, in order; nothing else."""
    d, now = _begin(state, now)
    return d.done()


# Questions about a state.


def next_deadline(state: CircleState) -> datetime | None:
    if state.status is not Status.RUNNING or state.deadline is None:
        return None
    if not state.warned:
        return state.deadline - timedelta(seconds=state.settings.warning_seconds)
    return state.deadline


def time_left(state: CircleState, now: datetime) -> timedelta | None:
    if state.status is Status.PAUSED:
        return state.remaining
    if state.status is not Status.RUNNING or state.deadline is None:
        return None
    return max(state.deadline - now, timedelta(0))


def upcoming(state: CircleState) -> tuple[int, ...]:
    """Return who is still to speak this round, in order, leaving out the holder and anyone passing."""
    if state.status is Status.ENDED:
        return ()
    skip_ids = state.spoken | state.passing
    rest = tuple(p for p in state.participants if p not in skip_ids and p != state.holder)
    first = state.listener
    if first is not None and first in rest:
        rest = (first, *(p for p in rest if p != first))
    return rest


def listener_candidates(state: CircleState) -> tuple[int, ...]:
    """Return whom the speaker may choose, best first; the bot picks the first when the speaker doesn't."""
    if state.settings.format is not CircleFormat.EMPATHY or state.holder is None:
        return ()
    return _candidates(state.participants, state.holder, state.spoken, state.passing, state.previous_listener)
