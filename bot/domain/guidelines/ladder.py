"""Warnings and the ladder of consequences they climb.

A facilitator's warning carries points (one by default). Points count while they are recent and expire after
:data:`WARNING_EXPIRY`; the warning itself stays on record, so a facilitator can still see the history. A
pardoned warning never counts. When a warning lifts a member's active points past a rung of the ladder, that
rung's consequence applies: a timeout, or an alert to the admins so a person decides. There is no automatic
ban: a peer-support group removes someone only after a human conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

log = logging.getLogger(__name__)

DEFAULT_WARNING_POINTS = 1
WARNING_EXPIRY = timedelta(days=30)
MAX_TIMEOUT = timedelta(days=28)  # Discord refuses longer timeouts


class LadderAction(StrEnum):
    TIMEOUT = "timeout"
    ALERT_ADMINS = "alert_admins"


class LadderError(ValueError):
    """A warning ladder an admin proposed cannot be used; ``message`` says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class LadderRung:
    points: int
    action: LadderAction
    duration: timedelta | None = None  # how long a timeout lasts; None for an alert


DEFAULT_LADDER: tuple[LadderRung, ...] = (
    LadderRung(2, LadderAction.TIMEOUT, timedelta(minutes=10)),
    LadderRung(3, LadderAction.TIMEOUT, timedelta(hours=1)),
    LadderRung(4, LadderAction.TIMEOUT, timedelta(days=1)),
    LadderRung(5, LadderAction.ALERT_ADMINS),
)


@dataclass(frozen=True, slots=True)
class WarningRecord:
    case_id: int
    points: int
    created_at: datetime
    pardoned: bool = False


def _describe(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    if minutes and minutes % 1440 == 0:
        value, unit = minutes // 1440, "day"
    elif minutes and minutes % 60 == 0:
        value, unit = minutes // 60, "hour"
    else:
        value, unit = minutes, "minute"
    return f"{value} {unit}{'' if value == 1 else 's'}"


def validate_ladder(rungs: Iterable[LadderRung]) -> tuple[LadderRung, ...]:
    """Return the ladder as a tuple, or raise :class:`LadderError` saying what to change.

    Points must be positive and strictly increasing from one rung to the next; a timeout must last between a
    minute and 28 days (Discord's limit), and no timeout may be shorter than one below it, so consequences only
    grow. An alert rung has no duration. An empty ladder is allowed: warnings are then recorded, nothing more.
    """
    ladder: list[LadderRung] = []
    previous_points = 0
    longest_timeout = timedelta(0)
    for given in rungs:
        try:
            # Rungs straight from the database carry the action as a plain string.
            rung = LadderRung(given.points, LadderAction(given.action), given.duration)
        except ValueError:
            raise LadderError(f"The step at {given.points} points has an action the bot doesn't know.") from None
        ladder.append(rung)
        if rung.points <= 0:
            raise LadderError("Each step of the ladder needs at least 1 point.")
        if rung.points <= previous_points:
            raise LadderError(
                f"The steps need more points as they go up: {rung.points} points comes after "
                f"{previous_points}. Put the steps in order, each with more points than the last."
            )
        previous_points = rung.points
        if rung.action is LadderAction.ALERT_ADMINS:
            if rung.duration is not None:
                raise LadderError(f"The alert at {rung.points} points can't have a duration; only timeouts do.")
            continue
        if rung.duration is None or rung.duration < timedelta(minutes=1):
            raise LadderError(f"The timeout at {rung.points} points needs to last at least a minute.")
        if rung.duration > MAX_TIMEOUT:
            raise LadderError(
                f"The timeout at {rung.points} points lasts {_describe(rung.duration)}; Discord allows at most 28 days."
            )
        if rung.duration < longest_timeout:
            raise LadderError(
                f"The timeout at {rung.points} points ({_describe(rung.duration)}) is shorter than one below "
                f"it ({_describe(longest_timeout)}). Consequences should only grow as points add up."
            )
        longest_timeout = rung.duration
    return tuple(ladder)


def active_points(records: Iterable[WarningRecord], now: datetime, expiry: timedelta = WARNING_EXPIRY) -> int:
    """Points that still count at ``now``: not pardoned, and given less than ``expiry`` ago.

    A warning given at ``t`` counts up to, but not at, ``t + expiry``. Datetimes must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    since = now - expiry
    return sum(record.points for record in records if not record.pardoned and record.created_at > since)


def rung_for(previous_active: int, new_active: int, ladder: Sequence[LadderRung]) -> LadderRung | None:
    """The highest rung this warning climbs past (``previous < rung.points <= new``), or None."""
    crossed = [rung for rung in ladder if previous_active < rung.points <= new_active]
    return max(crossed, key=lambda rung: rung.points, default=None)


def can_warn(
    *,
    actor_id: int,
    target_id: int,
    actor_is_owner: bool,
    actor_top_position: int,
    target_top_position: int,
    target_is_admin: bool,
    target_is_bot: bool,
    target_is_owner: bool,
) -> str | None:
    """None when the actor may warn the target, else a kind sentence saying why not.

    Nobody warns themselves, a bot, the owner or an admin; everyone else can be warned only by someone whose
    highest role sits above theirs (the owner is above everyone).
    """
    if actor_id == target_id:
        return "You can't give yourself a warning."
    if target_is_bot:
        return "Bots can't be warned. If a bot is causing trouble, an admin can change its settings."
    if target_is_owner:
        return "The server owner can't be warned."
    if target_is_admin:
        return (
            "Admins can't be warned with the bot. If something an admin did worries you, "
            "please talk with another admin or the owner."
        )
    if not actor_is_owner and target_top_position >= actor_top_position:
        return "You can only warn members whose highest role is below yours."
    return None
