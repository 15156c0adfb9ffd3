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

from bot.domain.refusal import Refusal

log = logging.getLogger(__name__)

DEFAULT_WARNING_POINTS = 1
WARNING_EXPIRY = timedelta(days=30)
# How long a server may let a warning's points count (`/config warn-expiry`), in days.
MIN_WARN_EXPIRY_DAYS, MAX_WARN_EXPIRY_DAYS = 1, 365
MAX_APPEAL_LENGTH = 500  # the appeal text sent with each warning (`/config appeal`)
MAX_LADDER_TEXT = 200  # a ladder as an admin types it (`/config ladder steps:`)
MAX_TIMEOUT = timedelta(days=28)  # Discord refuses longer timeouts


class LadderAction(StrEnum):
    TIMEOUT = "timeout"
    ALERT_ADMINS = "alert_admins"


# The old name of the refusal a warning ladder gets: `Refusal` itself (keys `ladder.*`), kept for callers.
LadderError = Refusal


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
    """Return the ladder as a tuple, or raise :class:`~bot.domain.refusal.Refusal` saying what to change.

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
            raise Refusal(
                "ladder.unknown_action", f"The step at {given.points} points has an action the bot doesn't know."
            ) from None
        ladder.append(rung)
        if rung.points <= 0:
            raise Refusal("ladder.no_points", "Each step of the ladder needs at least 1 point.")
        if rung.points <= previous_points:
            raise Refusal(
                "ladder.out_of_order",
                f"The steps need more points as they go up: {rung.points} points comes after "
                f"{previous_points}. Put the steps in order, each with more points than the last.",
            )
        previous_points = rung.points
        if rung.action is LadderAction.ALERT_ADMINS:
            if rung.duration is not None:
                raise Refusal(
                    "ladder.alert_duration",
                    f"The alert at {rung.points} points can't have a duration; only timeouts do.",
                )
            continue
        if rung.duration is None or rung.duration < timedelta(minutes=1):
            raise Refusal(
                "ladder.timeout_too_short", f"The timeout at {rung.points} points needs to last at least a minute."
            )
        if rung.duration > MAX_TIMEOUT:
            raise Refusal(
                "ladder.timeout_too_long",
                f"The timeout at {rung.points} points lasts {_describe(rung.duration)}; "
                "Discord allows at most 28 days.",
            )
        if rung.duration < longest_timeout:
            raise Refusal(
                "ladder.timeout_shrinks",
                f"The timeout at {rung.points} points ({_describe(rung.duration)}) is shorter than one below "
                f"it ({_describe(longest_timeout)}). Consequences should only grow as points add up.",
            )
        longest_timeout = rung.duration
    return tuple(ladder)


def validate_warn_expiry(days: int) -> int:
    """How many days a warning's points count, if the server may choose it; else a :class:`Refusal`."""
    if not MIN_WARN_EXPIRY_DAYS <= days <= MAX_WARN_EXPIRY_DAYS:
        raise Refusal(
            "warn.expiry_range",
            f"A warning's points can count for {MIN_WARN_EXPIRY_DAYS} to {MAX_WARN_EXPIRY_DAYS} days. "
            "Please pick a number in that range. Nothing was changed.",
        )
    return days


def clean_appeal(text: str) -> str | None:
    """The appeal text a server set, tidied; None for ``default`` (the bot's own). A :class:`Refusal` if unusable."""
    cleaned = text.strip()
    if cleaned.lower() == "default":
        return None
    if not cleaned:
        raise Refusal(
            "warn.appeal_empty",
            "The appeal text is empty. Write a sentence or two, such as who to write to, or `default` for mine.",
        )
    if len(cleaned) > MAX_APPEAL_LENGTH:
        raise Refusal(
            "warn.appeal_too_long",
            f"That appeal text is {len(cleaned)} characters long; please keep it to {MAX_APPEAL_LENGTH}. "
            "Nothing was changed.",
        )
    return cleaned


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


def describe_duration(duration: timedelta) -> str:
    """A timeout's length in words: "10 minutes", "1 hour", "2 days"."""
    return _describe(duration)


_UNITS: dict[str, int] = {
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_ALERT_WORDS = frozenset({"alert", "alert admins", "alert_admins", "admins"})
_NO_LADDER_WORDS = frozenset({"none", "off", "nothing"})
LADDER_EXAMPLE = "2=10m, 3=1h, 4=1d, 5=alert"


def _parse_duration(text: str, points: int) -> timedelta:
    compact = text.replace(" ", "")
    digits = len(compact) - len(compact.lstrip("0123456789"))
    unit = compact[digits:]
    if not digits or unit not in _UNITS:
        raise Refusal(
            "ladder.unreadable_duration",
            f"I couldn't read “{text[:30]}” for the step at {points} points. Use a number and a unit, like 10m, "
            "1h or 2d, or the word alert.",
        )
    return timedelta(seconds=int(compact[:digits]) * _UNITS[unit])


def parse_ladder(text: str) -> tuple[LadderRung, ...]:
    """Read a ladder an admin typed, like ``2=10m, 3=1h, 4=1d, 5=alert``, and validate it.

    Steps are separated by commas, semicolons or new lines; each is points, ``=`` (or ``:``), then a timeout
    length (``m``, ``h``, ``d``, ``w``) or ``alert``. ``default`` gives :data:`DEFAULT_LADDER`; ``none`` a ladder
    with no steps (warnings are recorded and nothing more). Raises :class:`~bot.domain.refusal.Refusal` saying
    what to change.
    """
    cleaned = text.strip().lower()
    if len(cleaned) > MAX_LADDER_TEXT:
        raise Refusal(
            "ladder.text_too_long",
            f"That ladder is {len(cleaned)} characters long; please write it in at most {MAX_LADDER_TEXT}, "
            f"like {LADDER_EXAMPLE}.",
        )
    if cleaned == "default":
        return DEFAULT_LADDER
    if cleaned in _NO_LADDER_WORDS:
        return ()
    rungs: list[LadderRung] = []
    for part in cleaned.replace(";", ",").replace("\n", ",").split(","):
        step = part.strip()
        if not step:
            continue
        separator = "=" if "=" in step else ":"
        points_text, found, what = step.partition(separator)
        points_text, what = points_text.strip(), what.strip()
        if not found or not points_text.isdigit() or not what:
            raise Refusal(
                "ladder.unreadable_step",
                f"I couldn't read the step “{step[:30]}”. Write each step like 3=1h or 5=alert.",
            )
        points = int(points_text)
        if what in _ALERT_WORDS:
            rungs.append(LadderRung(points, LadderAction.ALERT_ADMINS))
        else:
            rungs.append(LadderRung(points, LadderAction.TIMEOUT, _parse_duration(what, points)))
    if not rungs:
        raise Refusal(
            "ladder.no_steps", f"I couldn't find any steps. Write them like {LADDER_EXAMPLE}, or none for no ladder."
        )
    return validate_ladder(rungs)


def format_ladder(ladder: Sequence[LadderRung]) -> str:
    """The ladder in the form :func:`parse_ladder` reads (``none`` when it has no steps)."""
    if not ladder:
        return "none"
    parts = []
    for rung in ladder:
        if rung.action is LadderAction.ALERT_ADMINS or rung.duration is None:
            parts.append(f"{rung.points}=alert")
            continue
        seconds = int(rung.duration.total_seconds())
        for suffix, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                parts.append(f"{rung.points}={seconds // size}{suffix}")
                break
        else:
            parts.append(f"{rung.points}={seconds // 60}m")
    return ", ".join(parts)


def describe_ladder(ladder: Sequence[LadderRung]) -> list[str]:
    """One plain line per step, for people to read."""
    lines = []
    for rung in ladder:
        if rung.action is LadderAction.ALERT_ADMINS or rung.duration is None:
            lines.append(f"{rung.points} points: the admins are asked to step in (no automatic ban)")
        else:
            lines.append(f"{rung.points} points: a timeout of {_describe(rung.duration)}")
    return lines
