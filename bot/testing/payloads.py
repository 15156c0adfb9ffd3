"""Builders of raw gateway payloads as Discord shapes them (API v10), and helpers to read the bot's messages.

Plain dicts in, plain dicts out: nothing here knows the bot or the stand-in's state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 64
EVERYONE_PERMISSIONS = "277028621376"  # Discord's defaults for @everyone in a new server


def snowflake_at(moment: datetime, counter: int = 0) -> int:
    ms = int(moment.timestamp() * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (counter & 0x3FFFFF)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name.lower(),
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def _member(user: dict[str, Any], roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "user": user,
        "roles": roles or [],
        "nick": None,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "avatar": None,
        "communication_disabled_until": None,
        "premium_since": None,
    }


def default_guild(guild_id: int = 1310000000000000001, *, suffix: str = "") -> dict[str, Any]:
    """A small server: an owner (Rosa), three members, a text, a voice and a stage channel, and #general.

    A second server in the same scenario takes a `suffix` ("-b"), so its people and channels have names of
    their own ("Rosa-b", "circle-room-b").
    """
    gid = str(guild_id)

    def channel(offset: int, kind: int, name: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(guild_id + offset),
            "type": kind,
            "name": f"{name}{suffix}",
            "position": offset,
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "flags": 0,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }
        if kind in (2, 13):
            data.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None})
        else:
            data["topic"] = None
        return data

    names = ["Rosa", "Ken", "Mia", "Lu", "Sam"]
    members = [_member(_user(guild_id + 2 + i, f"{name}{suffix}")) for i, name in enumerate(names)]
    return {
        "id": gid,
        "name": "Peer Support Test",
        "icon": None,
        "owner_id": str(guild_id + 2),
        "unavailable": False,
        "large": False,
        "member_count": len(members),
        "features": [],
        "emojis": [],
        "stickers": [],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "afk_timeout": 300,
        "afk_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "system_channel_flags": 0,
        "system_channel_id": None,
        "rules_channel_id": None,
        "preferred_locale": "en-US",
        "description": None,
        "banner": None,
        "splash": None,
        "discovery_splash": None,
        "vanity_url_code": None,
        "premium_subscription_count": 0,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "application_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "premium_progress_bar_enabled": False,
        "widget_enabled": False,
        "roles": [
            {
                "id": gid,
                "name": "@everyone",
                "permissions": EVERYONE_PERMISSIONS,
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
                "icon": None,
                "unicode_emoji": None,
            }
        ],
        "channels": [
            channel(20, 0, "circle-room"),
            channel(21, 2, "Circle Voice"),
            channel(22, 13, "Circle Stage"),
            channel(23, 0, "general"),
        ],
        "members": members,
        "voice_states": [],
    }


DEFAULT_BOT_USER = _user(1310000000000000900, "Circlekeeper", bot=True)


def bot_role(bot_user: dict[str, Any], permissions: int, position: int) -> dict[str, Any]:
    """The managed role Discord gives a bot when it joins a server, with the permissions it was invited with."""
    return {
        "id": str(int(bot_user["id"]) + 1),
        "name": bot_user.get("global_name") or bot_user["username"],
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": True,
        "mentionable": False,
        "flags": 0,
        "icon": None,
        "unicode_emoji": None,
        "tags": {"bot_id": bot_user["id"]},
    }


def shard_of(guild_id: int | str, shard_count: int) -> int:
    """Discord's rule for which shard a server's events come on."""
    return (int(guild_id) >> 22) % shard_count


def ready_payload(
    bot_user: dict[str, Any], guild: dict[str, Any] | list[dict[str, Any]], shard: tuple[int, int] = (0, 1)
) -> dict[str, Any]:
    """READY for one shard: its servers come as unavailable until their GUILD_CREATE."""
    guilds = guild if isinstance(guild, list) else [guild]
    return {
        "v": 10,
        "user": bot_user,
        "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
        "session_id": f"stand-in-session-{shard[0]}" if shard != (0, 1) else "stand-in-session",
        "resume_gateway_url": "wss://gateway.invalid",
        "application": {"id": bot_user["id"], "flags": 0},
        "private_channels": [],
        "relationships": [],
        "shard": list(shard),
    }


def application_payload(bot_user: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    """GET /oauth2/applications/@me: the bot's application, owned by `owner`."""
    return {
        "id": bot_user["id"],
        "name": bot_user.get("global_name") or "Circlekeeper",
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
        "owner": owner,
        "summary": "",
        "interactions_endpoint_url": None,
    }


# Slash command options ----------------------------------------------------------------------------------


class Mention:
    """An option value that refers to a user, role or channel (resolved as Discord would)."""

    def __init__(self, kind: str, id: int) -> None:
        self.kind = kind
        self.id = id


def user_option(user_id: int) -> Mention:
    return Mention("user", user_id)


def role_option(role_id: int) -> Mention:
    return Mention("role", role_id)


def channel_option(channel_id: int) -> Mention:
    return Mention("channel", channel_id)


# Components on the bot's messages -----------------------------------------------------------------------


def walk_components(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = list(message.get("components") or [])
    while stack:
        component = stack.pop(0)
        yield component
        stack[0:0] = component.get("components") or []


def button_id(message: dict[str, Any], label: str) -> str:
    for component in walk_components(message):
        if component.get("type") == 2 and component.get("label") == label:
            return str(component["custom_id"])
    labels = [c.get("label") for c in walk_components(message) if c.get("type") == 2]
    raise KeyError(f"no button labelled {label!r}; the message has {labels}")


def _component_type(message: dict[str, Any], custom_id: str) -> int:
    for component in walk_components(message):
        if component.get("custom_id") == custom_id:
            return int(component["type"])
    raise KeyError(custom_id)


# Time in what the bot writes ----------------------------------------------------------------------------


def timestamp_in(text: str) -> datetime | None:
    """The moment of the first Discord timestamp (`<t:UNIX:R>`) in a text, for tests to check countdowns."""
    match = re.search(r"<t:(\d+)(?::[tTdDfFR])?>", text)
    return datetime.fromtimestamp(int(match.group(1)), tz=UTC) if match else None


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
