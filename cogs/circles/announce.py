"""From a step's effects to words: the one public message of a transition, and the private reply to whoever asked.

Pure: a transition (and the rendered prompts of the rounds it opens) in, text out. What was said is read from the
domain's effects, never re-derived from the format or the phase, so the words follow the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from bot.domain import circle
from bot.domain.circle import CircleFormat, CircleState, Phase, Status, Transition
from cogs.circles import texts

CARD_EFFECTS = (circle.MemberJoined, circle.MemberLeft, circle.CircleStarted, circle.RoundOpened, circle.CircleEnded)
"""Effects that change what the card shows (who is in, and whether the circle is gathering, running or closed)."""

EmpathyAsk = Literal["listener", "heard"]


def announcement(
    before: CircleState, tr: Transition, now: datetime, prompts: dict[int, str] | None = None
) -> tuple[str | None, set[int]]:
    """One public message for a whole transition (and the people it may ping), or None.

    `prompts` holds the rendered prompt of each round this transition opens.
    """
    prompts = prompts or {}
    opened_round = before.round
    lines: list[str] = []
    pings: set[int] = set()
    effects = tr.effects
    last_turn = max((i for i, e in enumerate(effects) if isinstance(e, circle.TurnStarted)), default=-1)
    round_opened = False
    for index, effect in enumerate(effects):
        if isinstance(effect, circle.RoundOpened):
            round_opened = True
            opened_round = effect.round
        elif isinstance(effect, circle.TurnStarted) and index == last_turn and effect.phase == Phase.SPEAKING:
            lines.append(
                texts.turn_started(
                    effect.holder,
                    effect.ends_at,
                    effect.round,
                    tr.state.settings.rounds,
                    round_opened,
                    prompts.get(opened_round) if round_opened else None,
                    empathy=tr.state.settings.format == CircleFormat.EMPATHY,
                )
            )
            pings.add(effect.holder)
            round_opened = False
        elif isinstance(effect, circle.TurnWarning) and effect.ends_at > now and index > last_turn:
            lines.append(texts.warning(effect.holder, effect.ends_at))
            pings.add(effect.holder)
        elif isinstance(effect, circle.Paused):
            lines.append(texts.paused(tr.state.holder))
        elif isinstance(effect, circle.Resumed):
            lines.append(texts.resumed(tr.state.holder, effect.ends_at))
        elif isinstance(effect, circle.Extended):
            lines.append(texts.extended(tr.state.holder, effect.ends_at, effect.seconds))
        elif isinstance(effect, circle.ListenerChosen) and index > last_turn:
            lines.append(texts.listener_chosen(effect.listener, auto=effect.auto))
            pings.add(effect.listener)
        elif isinstance(effect, circle.ReflectionStarted):
            lines.append(texts.reflect(effect.speaker, effect.listener, effect.ends_at, effect.attempt))
            pings.update((effect.speaker, effect.listener))
        elif isinstance(effect, circle.ConfirmRequested):
            lines.append(
                texts.confirm(effect.speaker, effect.ends_at, last_try=effect.attempt >= circle.MAX_REFLECTIONS)
            )
            pings.add(effect.speaker)
        elif isinstance(effect, circle.SpeakerHeard):
            lines.append(texts.heard(effect.speaker, effect.listener))
        elif isinstance(effect, circle.CircleEnded):
            lines.append(texts.ended(effect.reason))
    if not lines:
        return None, set()
    return "\n".join(lines)[:2000], pings


def empathy_step(tr: Transition) -> EmpathyAsk | None:
    """What the empathy announcement asks for: "listener" (the speaker picks one) or "heard", or None."""
    if tr.state.settings.format != CircleFormat.EMPATHY:
        return None
    for effect in reversed(tr.effects):
        if isinstance(effect, (circle.ReflectionStarted, circle.ConfirmRequested)):
            return "heard" if tr.state.phase in (Phase.REFLECTING, Phase.CONFIRMING) else None
        if isinstance(effect, circle.TurnStarted) and effect.phase == Phase.SPEAKING:
            return "listener" if tr.state.phase == Phase.SPEAKING and tr.state.listener is None else None
        if isinstance(effect, (circle.TurnEnded, circle.CircleEnded, circle.ListenerChosen)):
            return None
    return None


def changes_card(tr: Transition) -> bool:
    return any(isinstance(e, CARD_EFFECTS) for e in tr.effects)


# Private replies: what the person who asked hears, read from what their step did. --------------------------

Reply = str | Callable[[Transition], str]
"""A fixed sentence, or one chosen from the transition the request made."""


def _own_turn_ended(tr: Transition, user_id: int) -> circle.TurnEnded | None:
    return next((e for e in tr.effects if isinstance(e, circle.TurnEnded) and e.holder == user_id), None)


def pass_reply(user_id: int) -> Callable[[Transition], str]:
    """`/circle pass` or **Pass my turn**: a pass noted for later, a speaker passing, or a turn finished."""

    def reply(tr: Transition) -> str:
        if any(isinstance(e, circle.PassNoted) and e.user_id == user_id for e in tr.effects):
            return texts.PASS_NOTED
        ended = _own_turn_ended(tr, user_id)
        if ended is not None and ended.reason == "passed":
            return texts.SPEAKER_PASSED
        return texts.DONE_THANKS

    return reply


def done_reply(user_id: int) -> Callable[[Transition], str]:
    """**I'm done**: the speaker or holder finished sharing, or the listener finished reflecting."""

    def reply(tr: Transition) -> str:
        if any(isinstance(e, circle.ConfirmRequested) and e.listener == user_id for e in tr.effects):
            return texts.REFLECTED_THANKS
        return texts.DONE_THANKS

    return reply


def join_reply(tr: Transition) -> str:
    """Joining before the start, or during a round (a turn comes later in it)."""
    return texts.JOINED if tr.state.status == Status.GATHERING else texts.JOINED_MID


def heard_reply(heard: bool) -> str:
    return texts.HEARD_REPLY if heard else texts.NOT_QUITE_REPLY


def reply_text(reply: Reply | None, tr: Transition) -> str | None:
    return reply(tr) if callable(reply) else reply
