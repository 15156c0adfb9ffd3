"""Discord's own rules that the stand-in enforces, so the bot meets the refusals it would meet for real.

Each rule either answers a question or refuses the call the way Discord does (see `faults.refuse`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn

import discord

from bot.testing.faults import refuse

LOADING = 128  # the "bot is thinking" message flag a deferred interaction response carries
HAS_THREAD = 32  # the message flag of a message a thread was started from
TIMEOUT_AT_MOST = timedelta(days=28)


def refuse_missing_permissions() -> NoReturn:
    refuse(403, 50013, "Missing Permissions")


def check_may_post(perms: discord.Permissions) -> None:
    """A guild channel needs View Channel (or Discord answers 50001) and Send Messages."""
    if not perms.view_channel:
        refuse(403, 50001, "Missing Access")
    if not perms.send_messages:
        refuse_missing_permissions()


def check_manages_roles(perms: discord.Permissions) -> None:
    """Editing a channel's overwrites needs Manage Roles (or Administrator)."""
    if not (perms.administrator or perms.manage_roles):
        refuse_missing_permissions()


def check_overwrite_bits(
    perms: discord.Permissions, allow: int, deny: int, overwrites: list[dict[str, Any]], mine: set[str]
) -> None:
    """Only permissions the bot has can be allowed or denied, unless it has a Manage Roles overwrite in the channel.

    `overwrites` are the channel's; `mine` the ids of the bot and its roles.
    """
    manage_roles = discord.Permissions(manage_roles=True).value
    exempt = any(o["id"] in mine and int(o["allow"]) & manage_roles for o in overwrites)
    if not perms.administrator and not exempt and (allow | deny) & ~perms.value:
        refuse_missing_permissions()


def may_time_out(guild: discord.Guild, target: discord.Member) -> bool:
    """Whether the bot may time this member out.

    No timeouts for the owner, administrators, or anyone whose top role is not below the bot's.
    """
    if guild.owner_id == target.id or target.guild_permissions.administrator:
        return False
    return target.top_role < guild.me.top_role


def check_timeout_length(until: str | None, now: datetime) -> None:
    if until is not None and datetime.fromisoformat(until) > now + TIMEOUT_AT_MOST:
        refuse(400, 50035, "Invalid Form Body")


# Scheduled events (API v10) -----------------------------------------------------------------------------

# Creating needs Create Events (Manage Events alone no longer works for bots); a voice event also View Channel and
# Connect in its channel; a stage event also Manage Channels, Mute Members and Move Members.
EVENT_NEEDS = {
    1: ("create_events", "manage_channels", "mute_members", "move_members"),
    2: ("create_events", "view_channel", "connect"),
    3: ("create_events",),
}
# Status changes Discord allows: scheduled -> active or cancelled; active -> completed.
EVENT_MOVES = {1: {2, 4}, 2: {3}}
LISTED_EVENT_STATUSES = (1, 2)  # Discord lists scheduled and active events only


def check_may_create_event(perms: discord.Permissions, kind: Any) -> None:
    if not perms.administrator and not all(getattr(perms, flag) for flag in EVENT_NEEDS.get(kind, ())):
        refuse_missing_permissions()


def check_may_manage_event(perms: discord.Permissions, *, mine: bool) -> None:
    """Editing or cancelling needs Manage Events, or Create Events for an event the bot made."""
    if not (perms.administrator or perms.manage_events or (perms.create_events and mine)):
        refuse_missing_permissions()


def check_event_body(event: dict[str, Any], channel_of: Callable[[str], dict[str, Any]]) -> None:
    """A valid event: a name, guild-only privacy, a place that fits its kind, and an end after its start."""
    kind = event["entity_type"]
    start = datetime.fromisoformat(event["scheduled_start_time"])
    end = datetime.fromisoformat(event["scheduled_end_time"]) if event.get("scheduled_end_time") else None
    if not 1 <= len(event.get("name") or "") <= 100 or event.get("privacy_level") != 2:
        refuse(400, 50035, "Invalid Form Body")
    if kind == 3:
        location = (event.get("entity_metadata") or {}).get("location")
        if event.get("channel_id") is not None or not location or end is None:
            refuse(400, 50035, "Invalid Form Body")
    elif kind in (1, 2):
        channel = channel_of(event["channel_id"]) if event.get("channel_id") else None
        if channel is None or channel["type"] != {1: 13, 2: 2}[kind]:
            refuse(400, 50035, "Invalid Form Body")
    else:
        refuse(400, 50035, "Invalid Form Body")
    if end is not None and end <= start:
        refuse(400, 50035, "Invalid Form Body")


def check_event_starts_later(event: dict[str, Any], now: datetime) -> None:
    if datetime.fromisoformat(event["scheduled_start_time"]) <= now:
        refuse(400, 50035, "Invalid Form Body")  # "Cannot schedule event in the past"


def check_event_change(event: dict[str, Any], body: dict[str, Any]) -> None:
    """A finished event cannot change, and a status can only move as Discord allows."""
    if event["status"] not in LISTED_EVENT_STATUSES:
        refuse(400, 180000, "Cannot modify a finished event")
    moving = "status" in body and body["status"] != event["status"]
    if moving and body["status"] not in EVENT_MOVES.get(event["status"], set()):
        refuse(400, 180000, "Invalid status transition")
