"""An offline Discord for tests, `python -m bot replay` and `python -m bot demo`.

It drives the real discord.py client: REST calls are answered at `bot.http.request`, interaction responses at
`AsyncWebhookAdapter.request`, and gateway events are fed as raw payloads to `bot._connection.parsers`. It keeps
Discord's side of the state (channels and their overwrites, voice states, messages) and sends the gateway events
Discord would send after a change, so discord.py's cache stays true. An unknown route fails loudly.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.app import CircleBot, create_bot
from bot.clock import ManualClock
from bot.permissions import permissions_needed
from bot.settings import Settings

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 64
DEFAULT_START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
WATCHED_LOGGERS = ("discord", "apscheduler", "asyncio", "bot", "cogs")
# Task names discord.py gives the work it spawns for an event (the most version-fragile part: keep it here).
_WORK_TASK_PREFIXES = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord-ui-modal",
    "discord-ui-dynamic-item-",
    "circles: ",
)


def snowflake_at(moment: datetime, counter: int = 0) -> int:
    ms = int(moment.timestamp() * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (counter & 0x3FFFFF)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class UnknownRoute(AssertionError):
    """The bot called a route the stand-in does not know: a test must notice."""


@dataclass
class Call:
    step: int
    method: str
    path: str
    params: dict[str, str]
    json: Any

    def line(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "method": self.method,
            "path": self.path,
            "params": self.params,
            "json": self.json,
        }


@dataclass
class Fault:
    method: str
    path: str
    status: int
    code: int = 0
    message: str = ""
    retry_after: float = 1.0
    times: int | None = None  # None: every later matching call
    match: dict[str, str] = field(default_factory=dict)  # optional route parameters that must match


class _ErrorCatcher(logging.Handler):
    def __init__(self, standin: StandIn) -> None:
        super().__init__(level=logging.WARNING)
        self.standin = standin

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or "was missed by" in message:
            text = message
            if record.exc_info and record.exc_info[1] is not None:
                text = f"{message}: {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            self.standin.errors.append((self.standin.step, text))


# The interaction webhook adapter is a module-level default in discord.py; the stand-ins that are running take
# its requests in turn, found by the interaction token they issued.
_ACTIVE: list[StandIn] = []
_ORIGINAL_ADAPTER_REQUEST = AsyncWebhookAdapter.request


async def _adapter_request(self: AsyncWebhookAdapter, route: Route, session: Any, **kwargs: Any) -> Any:
    token = route.webhook_token
    for standin in reversed(_ACTIVE):
        if token in standin.tokens:
            return await standin.webhook_request(route, **kwargs)
    # Not an interaction a stand-in issued (a loopback test's, say): let discord.py send it for real.
    return await _ORIGINAL_ADAPTER_REQUEST(self, route, session, **kwargs)


def _install_adapter(standin: StandIn) -> None:
    if standin in _ACTIVE:  # a restart starts the same stand-in again
        return
    if not _ACTIVE:
        AsyncWebhookAdapter.request = _adapter_request  # type: ignore[method-assign]
    _ACTIVE.append(standin)


def _uninstall_adapter(standin: StandIn) -> None:
    if standin in _ACTIVE:
        _ACTIVE.remove(standin)
    if not _ACTIVE:
        AsyncWebhookAdapter.request = _ORIGINAL_ADAPTER_REQUEST  # type: ignore[method-assign]


_PARAM = re.compile(r"\{(\w+)\}")


def route_params(route: Route) -> dict[str, str]:
    """The route's parameters as strings, read by matching its URL against its template."""
    pattern = "^" + _PARAM.sub(r"(?P<\1>[^/?]+)", re.escape(route.path).replace(r"\{", "{").replace(r"\}", "}"))
    url = route.url[len(Route.BASE) :] if route.url.startswith(Route.BASE) else route.url
    url = url.split("?", 1)[0]
    match = re.match(pattern + "$", url)
    if not match:
        return {}
    from urllib.parse import unquote

    return {k: unquote(v) for k, v in match.groupdict().items()}


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


EVERYONE_PERMISSIONS = "277028621376"  # Discord's defaults for @everyone in a new server


def default_guild(guild_id: int = 1310000000000000001) -> dict[str, Any]:
    """A small server: an owner (Rosa), three members, a text, a voice and a stage channel, and #general."""
    gid = str(guild_id)

    def channel(offset: int, kind: int, name: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(guild_id + offset),
            "type": kind,
            "name": name,
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
    members = [_member(_user(guild_id + 2 + i, name)) for i, name in enumerate(names)]
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


class StandIn:
    """Discord, as far as the bot can tell, with no network."""

    def __init__(
        self,
        *,
        database_path: str | Path,
        start_time: datetime | None = None,
        guild: dict[str, Any] | None = None,
        bot_user: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.clock = ManualClock(start_time or DEFAULT_START)
        overrides = {"database_path": str(database_path), **(settings or {})}
        self.settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
        self.bot_user = copy.deepcopy(bot_user or DEFAULT_BOT_USER)
        self.guild = copy.deepcopy(guild or default_guild())
        self._add_bot_member()
        self.bot: CircleBot | None = None
        self.step = -1
        self.calls: list[Call] = []
        self.errors: list[tuple[int, str]] = []
        self.faults: list[Fault] = []
        self.tokens: dict[str, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.replies: dict[int, list[dict[str, Any]]] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.closed_dms: set[int] = set()
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self._counter = 0
        self._catcher = _ErrorCatcher(self)
        self.scheduled_events: dict[int, dict[str, Any]] = {}  # every event the bot made, by id, as Discord has it

    # State --------------------------------------------------------------------------------------------------

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def _add_bot_member(self) -> None:
        if any(m["user"]["id"] == self.bot_user["id"] for m in self.guild["members"]):
            return
        role_id = str(int(self.bot_user["id"]) + 1)
        self.guild["roles"].append(
            {
                "id": role_id,
                "name": self.bot_user.get("global_name") or self.bot_user["username"],
                "permissions": str(permissions_needed().value),
                "position": max(r["position"] for r in self.guild["roles"]) + 1,
                "color": 0,
                "hoist": False,
                "managed": True,
                "mentionable": False,
                "flags": 0,
                "icon": None,
                "unicode_emoji": None,
                "tags": {"bot_id": self.bot_user["id"]},
            }
        )
        self.guild["members"].append(_member(self.bot_user, [role_id]))
        self.guild["member_count"] = self.guild.get("member_count", 0) + 1

    def channel(self, channel_id: int | str) -> dict[str, Any]:
        for channel in self.guild["channels"]:
            if channel["id"] == str(channel_id):
                return channel
        for thread in self.guild.get("threads", []):
            if thread["id"] == str(channel_id):
                return thread
        raise KeyError(channel_id)

    def channel_id(self, name: str) -> int:
        for channel in self.guild["channels"]:
            if channel["name"] == name:
                return int(channel["id"])
        raise KeyError(name)

    def member(self, user_id: int | str) -> dict[str, Any]:
        for member in self.guild["members"]:
            if member["user"]["id"] == str(user_id):
                return member
        raise KeyError(user_id)

    def user_id(self, name: str) -> int:
        for member in self.guild["members"]:
            if member["user"]["global_name"] == name or member["user"]["username"] == name.lower():
                return int(member["user"]["id"])
        raise KeyError(name)

    def overwrites(self, channel_id: int) -> dict[int, tuple[int, int]]:
        """Channel overwrites as Discord has them: target id -> (allow, deny)."""
        return {
            int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in self.channel(channel_id)["permission_overwrites"]
        }

    def next_id(self) -> int:
        self._counter += 1
        return snowflake_at(self.clock.now(), self._counter)

    def voice_state(self, user_id: int) -> dict[str, Any] | None:
        for state in self.guild["voice_states"]:
            if state["user_id"] == str(user_id):
                return state
        return None

    # Life cycle ---------------------------------------------------------------------------------------------

    async def start(self) -> CircleBot:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(self._catcher)
        _install_adapter(self)
        # A seeded random source: replays and the demo draw the same prompts on every run.
        bot = create_bot(
            self.settings, clock=self.clock, rng=random.Random(0), guild_ready_timeout=0.01, max_messages=1000
        )
        bot.http.request = self.rest_request  # type: ignore[method-assign]
        self.bot = bot
        await bot.login("stand-in-token")
        self.feed_now("READY", self._ready_payload())
        self.feed_now("GUILD_CREATE", copy.deepcopy(self.guild))
        await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
        await self.settle()
        return bot

    async def close(self) -> None:
        if self.bot is not None:
            await self.settle()
            await self.bot.close()
            self.bot = None
        _uninstall_adapter(self)
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self._catcher)

    async def restart(self) -> CircleBot:
        """Close the bot and build a new one on the same database, against Discord as it is now."""
        if self.bot is not None:
            await self.settle()
            await self.bot.close()
            self.bot = None
        return await self.start()

    async def __aenter__(self) -> StandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": self.guild["id"], "unavailable": True}],
            "session_id": "stand-in-session",
            "resume_gateway_url": "wss://gateway.invalid",
            "application": {"id": self.bot_user["id"], "flags": 0},
            "private_channels": [],
            "relationships": [],
            "shard": [0, 1],
        }

    # Feeding events -----------------------------------------------------------------------------------------

    def feed_now(self, event: str, data: dict[str, Any]) -> None:
        assert self.bot is not None, "start the stand-in first"
        if event == "INTERACTION_CREATE":
            self.tokens[data["token"]] = data
        self.bot._connection.parsers[event](data)

    async def feed(self, event: str, data: dict[str, Any]) -> None:
        """Deliver one gateway event and wait for the work it caused."""
        self._apply_inbound(event, data)
        self.feed_now(event, data)
        await self.settle()

    def _apply_inbound(self, event: str, data: dict[str, Any]) -> None:
        """Keep Discord's state in step with events a scenario sends (voice joins, new channels)."""
        if event == "VOICE_STATE_UPDATE" and data.get("guild_id") == self.guild["id"]:
            states = [s for s in self.guild["voice_states"] if s["user_id"] != data["user_id"]]
            if data.get("channel_id"):
                states.append({k: v for k, v in data.items() if k != "member"})
            self.guild["voice_states"] = states
        elif event == "CHANNEL_UPDATE" and data.get("guild_id") == self.guild["id"]:
            for i, channel in enumerate(self.guild["channels"]):
                if channel["id"] == data["id"]:
                    self.guild["channels"][i] = {k: v for k, v in data.items() if k != "guild_id"}

    async def settle(self) -> None:
        """Wait until the tasks discord.py (and the bot) spawned for the last event are done."""
        me = asyncio.current_task()
        quiet_rounds = 0
        for _ in range(500):
            pending = [
                t
                for t in asyncio.all_tasks()
                if t is not me and not t.done() and t.get_name().startswith(_WORK_TASK_PREFIXES)
            ]
            if pending:
                quiet_rounds = 0
                await asyncio.wait(pending, timeout=10)
                continue
            quiet_rounds += 1
            if quiet_rounds > 3:
                return
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move time on; timers that come due run at their own moments."""
        assert self.bot is not None
        await self.settle()
        await self.bot.scheduler.advance(seconds)
        await self.settle()

    def fail(self, method: str, path: str, status: int, **kwargs: Any) -> None:
        """Answer later matching calls with an error, as Discord would (a 403 with a code, a 500, a 429)."""
        self.faults.append(Fault(method=method.upper(), path=path, status=status, **kwargs))

    # Interactions a person makes ----------------------------------------------------------------------------

    def _permissions_string(self, user_id: int, channel_id: int) -> str:
        assert self.bot is not None
        guild = self.bot.get_guild(self.guild_id)
        assert guild is not None
        member = self.member_object(user_id)
        channel = guild.get_channel_or_thread(channel_id)
        if channel is None:
            return EVERYONE_PERMISSIONS
        return str(channel.permissions_for(member).value)

    def member_object(self, user_id: int) -> discord.Member:
        """A discord.py Member built from Discord's side of the state (the bot caches few members)."""
        assert self.bot is not None
        guild = self.bot.get_guild(self.guild_id)
        assert guild is not None
        if user_id == self.bot_id:
            return guild.me
        data: Any = copy.deepcopy(self.member(user_id))
        return discord.Member(data=data, guild=guild, state=self.bot._connection)

    def can_post(self, user: int | str, channel: int | str) -> bool:
        """Whether Discord would let this person send messages in the channel right now."""
        assert self.bot is not None
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.channel_id(channel) if isinstance(channel, str) else channel
        guild = self.bot.get_guild(self.guild_id)
        assert guild is not None
        target = guild.get_channel_or_thread(channel_id)
        assert target is not None
        return bool(target.permissions_for(self.member_object(user_id)).send_messages)

    def _base_interaction(self, kind: int, user_id: int, channel_id: int) -> dict[str, Any]:
        interaction_id = self.next_id()
        token = f"tok-{interaction_id}"
        channel = self.channel(channel_id)
        member = copy.deepcopy(self.member(user_id))
        member["permissions"] = self._permissions_string(user_id, channel_id)
        return {
            "id": str(interaction_id),
            "application_id": self.bot_user["id"],
            "type": kind,
            "guild_id": self.guild["id"],
            "guild": {"id": self.guild["id"], "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": {
                **{k: v for k, v in channel.items() if k != "permission_overwrites"},
                "guild_id": self.guild["id"],
                "permissions": member["permissions"],
            },
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": self._permissions_string(self.bot_id, channel_id),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild["id"]},
            "context": 0,
            "attachment_size_limit": 10485760,
        }

    def slash_payload(
        self, user_id: int, command: str, channel_id: int | None = None, **options: Any
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for `/command sub` with options; Discord-shaped, resolved objects included."""
        channel_id = channel_id or self.channel_id("circle-room")
        data = self._base_interaction(2, user_id, channel_id)
        names = command.split()
        resolved: dict[str, dict[str, Any]] = {}
        leaf: list[dict[str, Any]] = []
        for name, value in options.items():
            leaf.append(self._option(name.replace("_", "-") if name.endswith("_") else name, value, resolved))
        opts: list[dict[str, Any]] = leaf
        if len(names) == 3:
            opts = [{"type": 2, "name": names[1], "options": [{"type": 1, "name": names[2], "options": leaf}]}]
        elif len(names) == 2:
            opts = [{"type": 1, "name": names[1], "options": leaf}]
        data["data"] = {
            "id": str(self.next_id()),
            "name": names[0],
            "type": 1,
            "guild_id": self.guild["id"],
            "options": opts,
        }
        if resolved:
            data["data"]["resolved"] = resolved
        return data

    def _option(self, name: str, value: Any, resolved: dict[str, dict[str, Any]]) -> dict[str, Any]:
        if isinstance(value, Mention):
            kind = value.kind
            if kind == "user":
                member = copy.deepcopy(self.member(value.id))
                user = member.pop("user")
                member["permissions"] = self._permissions_string(value.id, self.channel_id("circle-room"))
                resolved.setdefault("users", {})[str(value.id)] = user
                resolved.setdefault("members", {})[str(value.id)] = member
                return {"name": name, "type": 6, "value": str(value.id)}
            if kind == "role":
                role = next(r for r in self.guild["roles"] if r["id"] == str(value.id))
                resolved.setdefault("roles", {})[str(value.id)] = role
                return {"name": name, "type": 8, "value": str(value.id)}
            channel = self.channel(value.id)
            resolved.setdefault("channels", {})[str(value.id)] = {
                "id": channel["id"],
                "name": channel["name"],
                "type": channel["type"],
                "permissions": self._permissions_string(self.bot_id, value.id),
                "parent_id": channel.get("parent_id"),
            }
            return {"name": name, "type": 7, "value": str(value.id)}
        if isinstance(value, bool):
            return {"name": name, "type": 5, "value": value}
        if isinstance(value, int):
            return {"name": name, "type": 4, "value": value}
        if isinstance(value, float):
            return {"name": name, "type": 10, "value": value}
        return {"name": name, "type": 3, "value": str(value)}

    async def slash(self, user: int | str, command: str, channel: int | str | None = None, **options: Any) -> str:
        """Run a slash command as a person; returns the interaction token (for `reply_to`)."""
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.channel_id(channel) if isinstance(channel, str) else channel
        data = self.slash_payload(user_id, command, channel_id, **options)
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])

    def component_payload(
        self,
        user_id: int,
        message: dict[str, Any],
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> dict[str, Any]:
        channel_id = int(message["channel_id"])
        if channel_id in self.dm_channels.values():
            data = self._base_interaction(3, user_id, self.channel_id("circle-room"))
            data.pop("guild_id")
            data.pop("guild")
            data["user"] = data.pop("member")["user"]
            data["channel_id"] = str(channel_id)
            data["channel"] = {"id": str(channel_id), "type": 1}
            data["context"] = 1
        else:
            data = self._base_interaction(3, user_id, channel_id)
        data["message"] = copy.deepcopy(message)
        data["data"] = {"component_type": component_type, "custom_id": custom_id}
        if values is not None:
            data["data"]["values"] = values
        return data

    async def click(self, user: int | str, message: dict[str, Any], label: str) -> str:
        """Press the button with this label on a message the bot sent."""
        user_id = self.user_id(user) if isinstance(user, str) else user
        custom_id = button_id(message, label)
        data = self.component_payload(user_id, message, custom_id)
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])

    async def choose(self, user: int | str, message: dict[str, Any], custom_id: str, values: list[str]) -> str:
        user_id = self.user_id(user) if isinstance(user, str) else user
        kind = _component_type(message, custom_id)
        data = self.component_payload(user_id, message, custom_id, component_type=kind, values=values)
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])

    async def submit_modal(
        self,
        user: int | str,
        custom_id: str,
        fields: dict[str, str],
        channel: int | None = None,
        *,
        message: dict[str, Any] | None = None,
    ) -> str:
        """Submit a modal; `message` is the message whose button opened it (Discord then includes it)."""
        user_id = self.user_id(user) if isinstance(user, str) else user
        data = self._base_interaction(5, user_id, channel or self.channel_id("circle-room"))
        if message is not None:
            data["message"] = copy.deepcopy(message)
        data["data"] = {
            "custom_id": custom_id,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
                for key, value in fields.items()
            ],
        }
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])

    async def say(self, user: int | str, channel: int | str, content: str) -> dict[str, Any]:
        """A person posts a message (MESSAGE_CREATE)."""
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.channel_id(channel) if isinstance(channel, str) else channel
        member = copy.deepcopy(self.member(user_id))
        author = member.pop("user")
        data = {
            "id": str(self.next_id()),
            "channel_id": str(channel_id),
            "guild_id": self.guild["id"],
            "author": author,
            "member": member,
            "content": content,
            "timestamp": iso(self.clock.now()),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        self.messages.setdefault(channel_id, []).append(data)
        await self.feed("MESSAGE_CREATE", data)
        return data

    async def voice(
        self, user: int | str, channel: int | str | None, *, hand: datetime | None = None, mute: bool | None = None
    ) -> None:
        """A person joins (or, with None, leaves) a voice channel; on a stage, `hand` is when they raised it.

        `mute` sets a server mute someone else (a moderator) gave them; by default a server mute carries over.
        """
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.channel_id(channel) if isinstance(channel, str) else channel
        previous = self.voice_state(user_id)
        state = {
            "guild_id": self.guild["id"],
            "channel_id": str(channel_id) if channel_id else None,
            "user_id": str(user_id),
            "member": self.member(user_id),
            "session_id": f"session-{user_id}",
            "deaf": False,
            "mute": mute if mute is not None else (previous or self.member(user_id)).get("mute", False),
            "self_deaf": False,
            "self_mute": False,
            "self_video": False,
            "suppress": self.channel(channel_id)["type"] == 13 if channel_id else False,
            "request_to_speak_timestamp": None if hand is None else iso(hand),
        }
        if mute is not None:
            self.member(user_id)["mute"] = mute
        await self.feed("VOICE_STATE_UPDATE", state)

    # What people see ----------------------------------------------------------------------------------------

    def last_message(self, channel_id: int | str) -> dict[str, Any]:
        cid = (
            self.channel_id(channel_id) if isinstance(channel_id, str) and not channel_id.isdigit() else int(channel_id)
        )
        posted = [m for m in self.messages.get(cid, []) if m["author"]["id"] == self.bot_user["id"]]
        if not posted:
            raise KeyError(f"the bot has posted nothing in {cid}")
        return posted[-1]

    def bot_messages(self, channel: int | str) -> list[dict[str, Any]]:
        cid = self.channel_id(channel) if isinstance(channel, str) else channel
        return [m for m in self.messages.get(cid, []) if m["author"]["id"] == self.bot_user["id"]]

    def last_reply(self, user: int | str) -> dict[str, Any]:
        user_id = self.user_id(user) if isinstance(user, str) else user
        if not self.replies.get(user_id):
            raise KeyError(f"nobody answered {user_id}")
        return self.replies[user_id][-1]

    def dms_to(self, user: int | str) -> list[dict[str, Any]]:
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.dm_channels.get(user_id)
        return list(self.messages.get(channel_id, [])) if channel_id else []

    def calls_in_step(self, step: int) -> list[Call]:
        return [c for c in self.calls if c.step == step]

    def mark(self) -> int:
        """A bookmark in the call log; `since(mark)` lists the calls made after it."""
        return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    # REST ---------------------------------------------------------------------------------------------------

    def _fault_for(self, method: str, path: str, params: dict[str, str]) -> Fault | None:
        for fault in self.faults:
            if fault.method != method or fault.path != path:
                continue
            if any(params.get(k) != v for k, v in fault.match.items()):
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    def _raise(self, status: int, code: int = 0, message: str = "") -> None:
        response = SimpleNamespace(status=status, reason={403: "Forbidden", 404: "Not Found"}.get(status, "Error"))
        body = {
            "code": code,
            "message": message or {403: "Missing Permissions", 404: "Unknown"}.get(status, "Error"),
        }
        if status == 403:
            raise discord.Forbidden(response, body)  # type: ignore[arg-type]
        if status == 404:
            raise discord.NotFound(response, body)  # type: ignore[arg-type]
        if status >= 500:
            raise discord.DiscordServerError(response, body)  # type: ignore[arg-type]
        raise discord.HTTPException(response, body)  # type: ignore[arg-type]

    def _apply_fault(self, fault: Fault) -> None:
        if fault.status == 429:
            limit = self.bot.http.max_ratelimit_timeout if self.bot else None
            if limit is not None and fault.retry_after > limit:
                raise discord.RateLimited(fault.retry_after)
            return  # discord.py would wait it out and try again; the retry is what we answer
        self._raise(fault.status, fault.code, fault.message)

    def _record(self, route: Route, body: Any) -> dict[str, str]:
        params = route_params(route)
        self.calls.append(Call(self.step, route.method, route.path, params, copy.deepcopy(body)))
        return params

    @staticmethod
    def _body(kwargs: dict[str, Any], form: Any = None, files: Any = None) -> Any:
        if "json" in kwargs:
            return kwargs["json"]
        if "payload" in kwargs and kwargs["payload"] is not None:
            return kwargs["payload"]
        parts = form or kwargs.get("multipart")
        if parts:
            body: dict[str, Any] = {}
            names: list[str] = []
            for part in parts:
                if part.get("name") == "payload_json":
                    body = json.loads(part["value"])
                elif "filename" in part:
                    names.append(part["filename"])
            body["files"] = names
            return body
        return None

    def _accept(
        self, route: Route, body: Any, table: dict[tuple[str, str], Any], kind: str
    ) -> tuple[Any, dict[str, str]]:
        """Record a call, answer it with the fault a test set for it, and find its handler (unknown: fail loudly)."""
        params = self._record(route, body)
        fault = self._fault_for(route.method, route.path, params)
        if fault is not None:
            self._apply_fault(fault)
        handler = table.get((route.method, route.path))
        if handler is None:
            log.error("stand-in: the bot called an unknown %s %s %s", kind, route.method, route.path)
            raise UnknownRoute(f"{route.method} {route.path}")
        return handler, params

    async def rest_request(self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any) -> Any:
        body = self._body(kwargs, form, files)
        handler, params = self._accept(route, body, _REST, "route")
        return await handler(self, params, body, kwargs.get("params") or {})

    async def webhook_request(self, route: Route, **kwargs: Any) -> Any:
        body = self._body(kwargs)
        handler, params = self._accept(route, body, _WEBHOOK, "webhook route")
        return await handler(self, params, body or {})

    # Discord's side of the calls ----------------------------------------------------------------------------

    def _bot_perms(self, channel_id: int) -> discord.Permissions:
        return discord.Permissions(int(self._permissions_string(self.bot_id, channel_id)))

    def _message(self, channel_id: int, body: dict[str, Any], *, flags: int = 0, **extra: Any) -> dict[str, Any]:
        message = {
            "id": str(self.next_id()),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": iso(self.clock.now()),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(self.next_id()),
                    "filename": n,
                    "size": 1,
                    "url": "https://cdn.invalid/" + n,
                    "proxy_url": "https://cdn.invalid/" + n,
                }
                for n in body.get("files", [])
            ],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": flags | int(body.get("flags") or 0),
        }
        if channel_id not in self.dm_channels.values():
            message["guild_id"] = self.guild["id"]
        message.update(extra)
        return message

    async def _post_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        channel_id = int(params["channel_id"])
        if channel_id in self.dm_channels.values():
            user_id = next(u for u, c in self.dm_channels.items() if c == channel_id)
            if user_id in self.closed_dms:
                self._raise(403, 50007, "Cannot send messages to this user")
        else:
            perms = self._bot_perms(channel_id)
            if not perms.view_channel:
                self._raise(403, 50001, "Missing Access")
            if not perms.send_messages:
                self._raise(403, 50013, "Missing Permissions")
        message = self._message(channel_id, body or {})
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def _find_message(self, channel_id: int, message_id: str) -> dict[str, Any]:
        for message in self.messages.get(channel_id, []):
            if message["id"] == message_id:
                return message
        self._raise(404, 10008, "Unknown Message")
        raise AssertionError("unreachable")

    async def _edit_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        message = self._find_message(int(params["channel_id"]), params["message_id"])
        for key in ("content", "embeds", "components", "flags"):
            if body and key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = iso(self.clock.now())
        return message

    async def _get_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        return self._find_message(int(params["channel_id"]), params["message_id"])

    async def _delete_message(self, params: dict[str, str], body: Any, query: Any) -> None:
        channel_id = int(params["channel_id"])
        message = self._find_message(channel_id, params["message_id"])
        if message["author"]["id"] != self.bot_user["id"] and not self._bot_perms(channel_id).manage_messages:
            self._raise(403, 50013, "Missing Permissions")
        self.messages[channel_id].remove(message)
        self.feed_now(
            "MESSAGE_DELETE",
            {"id": message["id"], "channel_id": str(channel_id), "guild_id": self.guild["id"]},
        )

    async def _put_overwrite(self, params: dict[str, str], body: Any, query: Any) -> None:
        channel_id = int(params["channel_id"])
        perms = self._bot_perms(channel_id)
        if not (perms.administrator or perms.manage_roles):
            self._raise(403, 50013, "Missing Permissions")
        allow, deny = int(body.get("allow", 0)), int(body.get("deny", 0))
        channel = self.channel(channel_id)
        # Discord: only permissions the bot has can be allowed or denied, unless the bot has a Manage Roles
        # overwrite in the channel itself.
        manage_roles = discord.Permissions(manage_roles=True).value
        mine = {self.bot_user["id"], *self.member(self.bot_id)["roles"]}
        exempt = any(o["id"] in mine and int(o["allow"]) & manage_roles for o in channel["permission_overwrites"])
        if not perms.administrator and not exempt and (allow | deny) & ~perms.value:
            self._raise(403, 50013, "Missing Permissions")
        target = params["target"]
        rest = [o for o in channel["permission_overwrites"] if o["id"] != target]
        rest.append({"id": target, "type": int(body.get("type", 0)), "allow": str(allow), "deny": str(deny)})
        channel["permission_overwrites"] = rest
        self._channel_update(channel)

    async def _delete_overwrite(self, params: dict[str, str], body: Any, query: Any) -> None:
        channel_id = int(params["channel_id"])
        perms = self._bot_perms(channel_id)
        if not (perms.administrator or perms.manage_roles):
            self._raise(403, 50013, "Missing Permissions")
        channel = self.channel(channel_id)
        channel["permission_overwrites"] = [o for o in channel["permission_overwrites"] if o["id"] != params["target"]]
        self._channel_update(channel)

    def _channel_update(self, channel: dict[str, Any]) -> None:
        self.feed_now("CHANNEL_UPDATE", {**copy.deepcopy(channel), "guild_id": self.guild["id"]})

    async def _start_thread_from_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        """A public thread on a message: it takes the message's id, and Discord sends THREAD_CREATE."""
        channel_id = int(params["channel_id"])
        message = self._find_message(channel_id, params["message_id"])
        perms = self._bot_perms(channel_id)
        if not (perms.view_channel and perms.create_public_threads):
            self._raise(403, 50013, "Missing Permissions")
        if message.get("thread"):
            self._raise(400, 160004, "A thread has already been created for this message")
        now = iso(self.clock.now())
        thread = {
            "id": message["id"],
            "guild_id": self.guild["id"],
            "parent_id": str(channel_id),
            "owner_id": self.bot_user["id"],
            "type": 11,
            "name": body["name"],
            "last_message_id": None,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
            "member": {"id": message["id"], "user_id": self.bot_user["id"], "join_timestamp": now, "flags": 0},
        }
        self.guild.setdefault("threads", []).append(thread)
        message["thread"] = thread
        message["flags"] = int(message.get("flags") or 0) | 32  # HAS_THREAD
        self.feed_now("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        return copy.deepcopy(thread)

    async def _open_dm(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        user_id = int(body["recipient_id"])
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = self.next_id()
        user = self.member(user_id)["user"]
        return {
            "id": str(self.dm_channels[user_id]),
            "type": 1,
            "recipients": [user],
            "last_message_id": None,
        }

    async def _edit_member(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        user_id = int(params["user_id"])
        member = self.member(user_id)
        if "mute" in body or "deaf" in body:
            if not self.bot_has_guild_permission("mute_members"):
                self._raise(403, 50013, "Missing Permissions")
            state = self.voice_state(user_id)
            if state is None:
                self._raise(400, 40032, "Target user is not connected to voice.")
            assert state is not None
            for key in ("mute", "deaf"):
                if key in body:
                    state[key] = bool(body[key])
                    member[key] = bool(body[key])
            self.feed_now("VOICE_STATE_UPDATE", {**copy.deepcopy(state), "member": copy.deepcopy(member)})
        if "communication_disabled_until" in body:
            if not self.bot_has_guild_permission("moderate_members"):
                self._raise(403, 50013, "Missing Permissions")
            if not self._bot_outranks(user_id):
                # Discord: no timeouts for the owner, administrators, or anyone whose top role is not below the bot's.
                self._raise(403, 50013, "Missing Permissions")
            until = body["communication_disabled_until"]
            if until is not None and datetime.fromisoformat(until) > self.clock.now() + timedelta(days=28):
                self._raise(400, 50035, "Invalid Form Body")
            member["communication_disabled_until"] = until
            # No GUILD_MEMBER_UPDATE: Discord sends it only to bots with the Server Members intent.
        return {**copy.deepcopy(member), "guild_id": self.guild["id"]}

    async def _edit_voice_state(self, params: dict[str, str], body: Any, query: Any) -> None:
        user_id = int(params["user_id"])
        state = self.voice_state(user_id)
        if state is None:
            self._raise(400, 40032, "Target user is not connected to voice.")
        assert state is not None
        channel_id = int(body.get("channel_id") or state["channel_id"])
        if not self._bot_perms(channel_id).mute_members:
            self._raise(403, 50013, "Missing Permissions")
        if "suppress" in body:
            state["suppress"] = bool(body["suppress"])
            if not body["suppress"]:
                state["request_to_speak_timestamp"] = iso(self.clock.now())
        self.feed_now("VOICE_STATE_UPDATE", {**copy.deepcopy(state), "member": copy.deepcopy(self.member(user_id))})

    def _bot_outranks(self, user_id: int) -> bool:
        assert self.bot is not None
        guild = self.bot.get_guild(self.guild_id)
        assert guild is not None
        target = self.member_object(user_id)
        if guild.owner_id == user_id or target.guild_permissions.administrator:
            return False
        return target.top_role < guild.me.top_role

    def bot_has_guild_permission(self, flag: str) -> bool:
        assert self.bot is not None
        guild = self.bot.get_guild(self.guild_id)
        assert guild is not None
        perms = guild.me.guild_permissions
        return bool(perms.administrator or getattr(perms, flag))

    async def _sync_commands(self, params: dict[str, str], body: Any, query: Any) -> list[dict[str, Any]]:
        scope = params.get("guild_id", "global")
        answered = []
        for command in body or []:
            answered.append(
                {
                    "id": str(self.next_id()),
                    "application_id": self.bot_user["id"],
                    "version": str(self.next_id()),
                    "default_member_permissions": None,
                    "type": 1,
                    "nsfw": False,
                    **command,
                    **({"guild_id": params["guild_id"]} if "guild_id" in params else {}),
                }
            )
        self.commands[scope] = answered
        return answered

    async def _get_user(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        try:
            return dict(self.member(params["user_id"])["user"])
        except KeyError:
            self._raise(404, 10013, "Unknown User")
            raise

    async def _get_member(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        try:
            return {**copy.deepcopy(self.member(params["member_id"])), "guild_id": self.guild["id"]}
        except KeyError:
            self._raise(404, 10007, "Unknown Member")
            raise

    async def _me(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        return self.bot_user

    async def _application(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        return {
            "id": self.bot_user["id"],
            "name": self.bot_user.get("global_name") or "Circlekeeper",
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "owner": _user(int(self.guild["owner_id"]), "Owner"),
            "summary": "",
            "interactions_endpoint_url": None,
        }

    # Scheduled events -------------------------------------------------------------------------------------

    # Discord's rules (API v10): creating needs Create Events (Manage Events alone no longer works for bots); a
    # voice event also View Channel and Connect in its channel; a stage event also Manage Channels, Mute Members
    # and Move Members. Editing or cancelling needs Manage Events, or Create Events for an event the bot made.
    _EVENT_NEEDS = {
        1: ("create_events", "manage_channels", "mute_members", "move_members"),
        2: ("create_events", "view_channel", "connect"),
        3: ("create_events",),
    }
    # Status changes Discord allows: scheduled -> active or cancelled; active -> completed.
    _EVENT_MOVES = {1: {2, 4}, 2: {3}}

    def _event_perms(self, channel_id: str | None) -> discord.Permissions:
        if channel_id is not None:
            return self._bot_perms(int(channel_id))
        assert self.bot is not None
        guild = self.bot.get_guild(self.guild_id)
        assert guild is not None
        return guild.me.guild_permissions

    def _check_event_body(self, event: dict[str, Any]) -> None:
        kind = event["entity_type"]
        start = datetime.fromisoformat(event["scheduled_start_time"])
        end = datetime.fromisoformat(event["scheduled_end_time"]) if event.get("scheduled_end_time") else None
        if not 1 <= len(event.get("name") or "") <= 100 or event.get("privacy_level") != 2:
            self._raise(400, 50035, "Invalid Form Body")
        if kind == 3:
            location = (event.get("entity_metadata") or {}).get("location")
            if event.get("channel_id") is not None or not location or end is None:
                self._raise(400, 50035, "Invalid Form Body")
        elif kind in (1, 2):
            channel = self.channel(event["channel_id"]) if event.get("channel_id") else None
            if channel is None or channel["type"] != {1: 13, 2: 2}[kind]:
                self._raise(400, 50035, "Invalid Form Body")
        else:
            self._raise(400, 50035, "Invalid Form Body")
        if end is not None and end <= start:
            self._raise(400, 50035, "Invalid Form Body")

    def _event_update(self, event: dict[str, Any], name: str = "GUILD_SCHEDULED_EVENT_UPDATE") -> None:
        listed = [e for e in self.guild["guild_scheduled_events"] if e["id"] != event["id"]]
        if event["status"] in (1, 2) and name != "GUILD_SCHEDULED_EVENT_DELETE":
            listed.append(copy.deepcopy(event))  # Discord lists scheduled and active events only
        self.guild["guild_scheduled_events"] = listed
        self.feed_now(name, copy.deepcopy(event))

    async def _create_scheduled_event(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        body = body or {}
        kind = body.get("entity_type")
        perms = self._event_perms(body.get("channel_id") if kind in (1, 2) else None)
        if not perms.administrator and not all(getattr(perms, flag) for flag in self._EVENT_NEEDS.get(kind, ())):
            self._raise(403, 50013, "Missing Permissions")
        event = {
            "id": str(self.next_id()),
            "guild_id": self.guild["id"],
            "channel_id": str(body["channel_id"]) if body.get("channel_id") is not None else None,
            "creator_id": self.bot_user["id"],
            "creator": self.bot_user,
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level"),
            "status": 1,
            "entity_type": kind,
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
        }
        self._check_event_body(event)
        if datetime.fromisoformat(event["scheduled_start_time"]) <= self.clock.now():
            self._raise(400, 50035, "Invalid Form Body")  # "Cannot schedule event in the past"
        self.scheduled_events[int(event["id"])] = event
        self._event_update(event, "GUILD_SCHEDULED_EVENT_CREATE")
        return copy.deepcopy(event)

    def _known_event(self, params: dict[str, str]) -> dict[str, Any]:
        event = self.scheduled_events.get(int(params["guild_scheduled_event_id"]))
        if event is None or event["guild_id"] != params["guild_id"]:
            self._raise(404, 10070, "Unknown Guild Scheduled Event")
        assert event is not None
        perms = self._event_perms(event["channel_id"])
        mine = event["creator_id"] == self.bot_user["id"]
        if not (perms.administrator or perms.manage_events or (perms.create_events and mine)):
            self._raise(403, 50013, "Missing Permissions")
        return event

    async def _edit_scheduled_event(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        event = self._known_event(params)
        body = body or {}
        if event["status"] not in (1, 2):
            self._raise(400, 180000, "Cannot modify a finished event")
        moving = "status" in body and body["status"] != event["status"]
        if moving and body["status"] not in self._EVENT_MOVES.get(event["status"], set()):
            self._raise(400, 180000, "Invalid status transition")
        changed = {**event, **{k: v for k, v in body.items() if k in event and k not in ("id", "creator_id")}}
        if changed.get("channel_id") is not None:
            changed["channel_id"] = str(changed["channel_id"])
        self._check_event_body(changed)
        event.update(changed)
        self._event_update(event)
        return copy.deepcopy(event)

    async def _delete_scheduled_event(self, params: dict[str, str], body: Any, query: Any) -> None:
        event = self._known_event(params)
        del self.scheduled_events[int(event["id"])]
        self._event_update(event, "GUILD_SCHEDULED_EVENT_DELETE")

    # Interaction responses ----------------------------------------------------------------------------------

    def _interaction(self, token: str) -> dict[str, Any]:
        return self.tokens[token]

    def _interaction_user(self, interaction: dict[str, Any]) -> int:
        user = interaction["member"]["user"] if "member" in interaction else interaction["user"]
        return int(user["id"])

    def _reply(self, interaction: dict[str, Any], body: dict[str, Any], *, original: bool) -> dict[str, Any]:
        channel_id = int(interaction["channel_id"])
        message = self._message(
            channel_id,
            body,
            interaction_metadata={
                "id": interaction["id"],
                "type": interaction["type"],
                "user": self._user_of(interaction),
            },
        )
        message["webhook_id"] = interaction["application_id"]
        message["_token"] = interaction["token"] if original else None
        user_id = self._interaction_user(interaction)
        self.replies.setdefault(user_id, []).append(message)
        if not message["flags"] & EPHEMERAL:
            self.messages.setdefault(channel_id, []).append(message)
        return message

    def _user_of(self, interaction: dict[str, Any]) -> dict[str, Any]:
        return interaction["member"]["user"] if "member" in interaction else interaction["user"]

    async def _callback(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        interaction = self._interaction(params["webhook_token"])
        if interaction.get("_answered"):
            self._raise(400, 40060, "Interaction has already been acknowledged.")
        interaction["_answered"] = True
        kind = body["type"]
        data = body.get("data") or {}
        answer: dict[str, Any] = {"id": interaction["id"], "type": interaction["type"]}
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            message = self._reply(interaction, data, original=True)
            answer.update(
                response_message_id=message["id"],
                response_message_loading=False,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            resource["message"] = _public(message)
        elif kind == 5:
            message = self._reply(interaction, {"content": "", "flags": data.get("flags", 0) | 128}, original=True)
            answer.update(
                response_message_id=message["id"],
                response_message_loading=True,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            resource["message"] = _public(message)
        elif kind == 7:
            source = interaction["message"]
            stored = self._locate(source)
            for key in ("content", "embeds", "components"):
                if key in data:
                    stored[key] = data[key]
            answer.update(
                response_message_id=stored["id"],
                response_message_loading=False,
                response_message_ephemeral=bool(stored["flags"] & EPHEMERAL),
            )
            resource["message"] = _public(stored)
        elif kind == 9:
            interaction["_modal"] = data
        return {"interaction": answer, "resource": resource}

    def _locate(self, message: dict[str, Any]) -> dict[str, Any]:
        for bucket in (*self.messages.values(), *self.replies.values()):
            for stored in bucket:
                if stored["id"] == message["id"]:
                    return stored
        return message

    def _original(self, token: str) -> dict[str, Any]:
        for bucket in self.replies.values():
            for message in bucket:
                if message.get("_token") == token:
                    return message
        interaction = self.tokens.get(token)
        if interaction is not None and interaction["type"] == 3:
            return self._locate(interaction["message"])
        self._raise(404, 10008, "Unknown Message")
        raise AssertionError("unreachable")

    async def _followup(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        interaction = self._interaction(params["webhook_token"])
        original = next((m for b in self.replies.values() for m in b if m.get("_token") == interaction["token"]), None)
        if original is not None and original["flags"] & 128:
            # The first follow-up after a defer edits the "thinking" message, keeping the defer's visibility.
            original["flags"] &= ~128
            for key in ("content", "embeds", "components"):
                if key in body:
                    original[key] = body[key]
            return _public(original)
        return _public(self._reply(interaction, body, original=False))

    async def _edit_original(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        message = self._original(params["webhook_token"])
        message["flags"] &= ~128
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key]
        return _public(message)

    async def _get_original(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        return _public(self._original(params["webhook_token"]))

    async def _delete_original(self, params: dict[str, str], body: dict[str, Any]) -> None:
        message = self._original(params["webhook_token"])
        for bucket in (*self.messages.values(), *self.replies.values()):
            if message in bucket:
                bucket.remove(message)

    async def _edit_followup(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        for bucket in self.replies.values():
            for message in bucket:
                if message["id"] == params["message_id"]:
                    for key in ("content", "embeds", "components"):
                        if key in body:
                            message[key] = body[key]
                    return _public(message)
        self._raise(404, 10008, "Unknown Message")
        raise AssertionError("unreachable")


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if not k.startswith("_")}


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


_REST = {
    ("GET", "/users/@me"): StandIn._me,
    ("GET", "/oauth2/applications/@me"): StandIn._application,
    ("GET", "/users/{user_id}"): StandIn._get_user,
    ("GET", "/guilds/{guild_id}/members/{member_id}"): StandIn._get_member,
    ("PUT", "/applications/{application_id}/commands"): StandIn._sync_commands,
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): StandIn._sync_commands,
    ("POST", "/channels/{channel_id}/messages"): StandIn._post_message,
    ("GET", "/channels/{channel_id}/messages/{message_id}"): StandIn._get_message,
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): StandIn._edit_message,
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): StandIn._delete_message,
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): StandIn._start_thread_from_message,
    ("PUT", "/channels/{channel_id}/permissions/{target}"): StandIn._put_overwrite,
    ("DELETE", "/channels/{channel_id}/permissions/{target}"): StandIn._delete_overwrite,
    ("POST", "/users/@me/channels"): StandIn._open_dm,
    ("PATCH", "/guilds/{guild_id}/members/{user_id}"): StandIn._edit_member,
    ("PATCH", "/guilds/{guild_id}/voice-states/{user_id}"): StandIn._edit_voice_state,
    ("POST", "/guilds/{guild_id}/scheduled-events"): StandIn._create_scheduled_event,
    ("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"): StandIn._edit_scheduled_event,
    ("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"): StandIn._delete_scheduled_event,
}

_WEBHOOK = {
    ("POST", "/interactions/{webhook_id}/{webhook_token}/callback"): StandIn._callback,
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): StandIn._followup,
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): StandIn._get_original,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): StandIn._edit_original,
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): StandIn._delete_original,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): StandIn._edit_followup,
}


def timestamp_in(text: str) -> datetime | None:
    """The moment of the first Discord timestamp (`<t:UNIX:R>`) in a text, for tests to check countdowns."""
    match = re.search(r"<t:(\d+)(?::[tTdDfFR])?>", text)
    return datetime.fromtimestamp(int(match.group(1)), tz=UTC) if match else None


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
