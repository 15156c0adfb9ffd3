"""The floor: who may speak now, which overwrites a locked text channel wants, who stays quiet in voice.

Pure rules over a :class:`~bot.domain.circle.CircleState` and plain ids; the shell (`cogs/circles/floor.py`,
`cogs/circles/voice.py`) only makes Discord match what these functions answer.

Who may speak (one answer for every caller: the channel's lock, voice mutes, the stage, gentle reminders):

- Only while a turn is running or paused, and only the holder (the speaker, in the empathy format).
- Empathy: the listener too while REFLECTING, since reflecting back is a conversation with the speaker.
  CONFIRMING is the speaker's step alone (DESIGN.md: "the speaker confirms they feel heard"): the listener has
  finished their part, and gets the floor back as soon as they are the next speaker or "Not quite" asks them to
  reflect again.

A locked text channel (strict enforcement, a running or paused circle) denies Send Messages to @everyone, allows
it for who may speak, the facilitator role and the bot itself, and neutralises any other overwrite that would
let someone send. Unlocked, every overwrite the bot touched goes back to what it was before the circle.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from bot.domain.circle import CircleState, Enforcement, Phase, Status

# Discord's permission bits the floor touches (the domain knows no discord.Permissions, only the numbers).
SEND = 1 << 11  # Send Messages
VIEW = 1 << 10  # View Channels
MANAGE_ROLES = 1 << 28
"""With Manage Roles allowed on its own overwrite, Discord lets the bot keep bits it lacks itself in other
overwrites (say @everyone's deny of a permission the bot was never given) while it adds the send deny."""

ROLE, MEMBER = 0, 1
"""An overwrite's target kind, as Discord numbers them."""

_TIMED = (Status.RUNNING, Status.PAUSED)


def speakers(state: CircleState) -> frozenset[int]:
    """Who may speak right now: the holder, and the empathy listener while they reflect; nobody between turns."""
    if state.status not in _TIMED or state.holder is None:
        return frozenset()
    if state.phase is Phase.REFLECTING and state.listener is not None:
        return frozenset((state.holder, state.listener))
    return frozenset((state.holder,))


# Text channels ----------------------------------------------------------------------------------------------


def locked(channel_kind: str, state: CircleState) -> bool:
    """Whether a text channel is locked to who may speak: strict enforcement, while a turn runs or is paused.

    Threads have no overwrites of their own (gentle only), and voice and stage channels are kept by mutes.
    """
    return channel_kind == "text" and state.settings.enforcement is Enforcement.STRICT and state.status in _TIMED


@dataclass(frozen=True, slots=True)
class Overwrite:
    """One permission overwrite on a channel, as Discord stores it."""

    kind: int
    allow: int
    deny: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """A target's overwrite as it was before the bot first changed it (`existed`: there was one at all)."""

    value: Overwrite
    existed: bool


@dataclass(frozen=True, slots=True)
class Place:
    """The ids a channel lock is about: @everyone (the server's id), the bot, the facilitator role."""

    everyone: int
    bot: int
    facilitator_role: int | None = None


@dataclass(frozen=True, slots=True)
class OverwriteStep:
    """What to do for one target, in this order: record its original, set or delete the overwrite, forget it.

    `put` is the value to set; `delete` removes the overwrite; neither: Discord already shows what is wanted.
    """

    target: int
    remember: Recorded | None = None
    put: Overwrite | None = None
    delete: bool = False
    forget: bool = False


def wanted_overwrite(
    target: int, original: Overwrite, place: Place, speaking: Collection[int], *, lock: bool
) -> Overwrite:
    """The value `target`'s overwrite should have now, from the value it had before the circle touched it."""
    if not lock:
        return original
    allow, deny = original.allow, original.deny
    if target == place.everyone:
        return Overwrite(ROLE, allow & ~SEND, deny | SEND)
    if target == place.bot:
        kept = SEND | VIEW | MANAGE_ROLES
        return Overwrite(MEMBER, allow | kept, deny & ~kept)
    if target == place.facilitator_role:
        return Overwrite(ROLE, allow | SEND, deny & ~SEND)
    if original.kind == MEMBER and target in speaking:
        return Overwrite(MEMBER, allow | SEND, deny & ~SEND)
    if allow & SEND:
        # A role or member overwrite that allows sending would beat the @everyone deny: neutralise it.
        return Overwrite(original.kind, allow & ~SEND, deny)
    return original


def overwrite_steps(
    current: Mapping[int, Overwrite],
    recorded: Mapping[int, Recorded],
    place: Place,
    speaking: Collection[int],
    *,
    lock: bool,
) -> list[OverwriteStep]:
    """The changes that bring a channel's overwrites to what the circle wants now, in the order to make them.

    `current` is what Discord shows; `recorded` what the bot saved before its first change to each target.
    Only targets whose value differs get a call, so a turn change touches two overwrites whatever the circle's
    size. Locking, the bot's own overwrite comes first (so it keeps its rights while it denies @everyone) and
    @everyone last; unlocking, @everyone comes first, so the channel is open again as soon as possible.
    """
    targets: list[int] = list(recorded)
    if lock:
        order = [place.bot]
        if place.facilitator_role:
            order.append(place.facilitator_role)
        order += [t for t, o in current.items() if o.allow & SEND]
        order.append(place.everyone)
        for target in order + sorted(speaking):
            if target not in targets:
                targets.append(target)
    else:
        targets.sort(key=lambda t: t != place.everyone)
    steps: list[OverwriteStep] = []
    for target in targets:
        record = recorded.get(target)
        if record is not None:
            original, existed = record.value, record.existed
        elif target in current:
            original, existed = current[target], True
        else:
            kind = ROLE if target in (place.everyone, place.facilitator_role) else MEMBER
            original, existed = Overwrite(kind, 0, 0), False
        wanted = wanted_overwrite(target, original, place, speaking, lock=lock)
        shown = current.get(target)
        if wanted == original:
            # Back as it was before the circle: put the original back (or remove the bot's), then forget it.
            put = original if existed and shown != original else None
            delete = not existed and shown is not None
            if put is not None or delete or record is not None:
                steps.append(OverwriteStep(target, put=put, delete=delete, forget=record is not None))
            continue
        remember = Recorded(original, existed) if record is None else None
        put = wanted if shown != wanted else None
        if remember is not None or put is not None:
            steps.append(OverwriteStep(target, remember=remember, put=put))
    return steps


# Voice and stage channels -----------------------------------------------------------------------------------


def kept_quiet(state: CircleState, present: Iterable[int], facilitators: Collection[int] = ()) -> frozenset[int]:
    """Voice: who of the people `present` in the channel is server-muted now.

    During a running or paused circle everyone is, except who may speak, who left the circle (they stay to
    listen, unmuted), and facilitators, who hold the space. Between circles nobody is.
    """
    if state.status not in _TIMED:
        return frozenset()
    free = speakers(state) | state.left
    return frozenset(p for p in present if p not in free and p not in facilitators)


def on_stage(state: CircleState, present: Iterable[int]) -> frozenset[int]:
    """Stage: who of the people `present` the bot brings on stage now (who may speak); nobody between circles."""
    speaking = speakers(state)
    return frozenset(p for p in present if p in speaking)
