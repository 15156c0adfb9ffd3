"""The stand-in: Discord for one bot, with no network. Its life cycle, and the two seams it answers through.

REST calls are answered at `bot.http.request`, interaction responses at `AsyncWebhookAdapter.request`; each call
is recorded, answered with a fault if a test set one for it, and handed to its route's handler (an unknown route
fails loudly). Gateway events go in through `feed` (see `state`).
"""

from __future__ import annotations

import asyncio
import collections
import copy
import json
import logging
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

import bot.testing.driver as driver
from bot.app import CircleBot, create_bot
from bot.clock import ManualClock
from bot.settings import Settings
from bot.testing.faults import Fault, apply_fault, take_fault
from bot.testing.interactions import WEBHOOK_ROUTES, InteractionPayloads, InteractionResponses
from bot.testing.payloads import iso, ready_payload, shard_of
from bot.testing.rest import REST_ROUTES, RestRoutes

log = logging.getLogger(__name__)

# Discord's documented global limit for a bot's REST calls, per second (interaction responses are exempt).
GLOBAL_LIMIT = 50

DEFAULT_START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


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


_PARAM = re.compile(r"\{(\w+)\}")


def route_params(route: Route) -> dict[str, str]:
    """The route's parameters as strings, read by matching its URL against its template."""
    pattern = "^" + _PARAM.sub(r"(?P<\1>[^/?]+)", re.escape(route.path).replace(r"\{", "{").replace(r"\}", "}"))
    url = route.url[len(Route.BASE) :] if route.url.startswith(Route.BASE) else route.url
    url = url.split("?", 1)[0]
    match = re.match(pattern + "$", url)
    if not match:
        return {}
    return {k: unquote(v) for k, v in match.groupdict().items()}


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


class StandIn(InteractionPayloads, InteractionResponses, RestRoutes):
    """Discord, as far as the bot can tell, with no network."""

    def __init__(
        self,
        *,
        database_path: str | Path,
        start_time: datetime | None = None,
        guild: dict[str, Any] | None = None,
        bot_user: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        guilds: list[dict[str, Any]] | None = None,
        shards: int = 1,
    ) -> None:
        clock = ManualClock(start_time or DEFAULT_START)
        overrides = {"database_path": str(database_path), **(settings or {})}
        self.settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
        super().__init__(clock=clock, guild=guild, bot_user=bot_user, guilds=guilds)
        if shards < 1:
            raise ValueError("a bot has at least one shard")
        # What /gateway/bot recommends; the bot follows it unless SHARD_COUNT says otherwise.
        self.shard_count = shards
        self.connected_shards: set[int] = set()
        self.step = -1
        self.calls: list[Call] = []
        self.errors: list[tuple[int, str]] = []
        self.faults: list[Fault] = []
        self._catcher = driver.ErrorCatcher(self)
        # Discord's global rate limit (real time): every call that went over it, as (method, path, retry_after).
        self.rate_limited: list[tuple[str, str, float]] = []
        self._recent_calls: collections.deque[float] = collections.deque()

    # Life cycle ---------------------------------------------------------------------------------------------

    async def start(self, *, shards: list[int] | None = None) -> CircleBot:
        """Build the bot, log in and connect its shards (all of them, or only `shards`: the rest connect later)."""
        self._catcher.watch()
        _install_adapter(self)
        # A seeded random source: replays and the demo draw the same prompts on every run.
        bot = create_bot(
            self.settings, clock=self.clock, rng=random.Random(0), guild_ready_timeout=0.01, max_messages=1000
        )
        bot.http.request = self.rest_request  # type: ignore[method-assign]
        self.bot = bot
        await bot.login("stand-in-token")
        await self._launch_shards(bot)
        self.connected_shards = set()
        wanted = list(bot._connection.shard_ids) if shards is None else shards
        for shard_id in wanted:
            self.connect_shard(shard_id)
        if set(wanted) >= set(bot._connection.shard_ids):
            await asyncio.wait_for(bot.wait_until_ready(), timeout=10)
        await self.settle()
        return bot

    async def _launch_shards(self, bot: CircleBot) -> None:
        """What discord.py's `launch_shards` does before it opens websockets: ask /gateway/bot, pick the shards."""
        if bot.shard_count is None:
            bot.shard_count, _url, _limits = await bot.http.get_bot_gateway()
        bot._connection.shard_count = bot.shard_count
        bot._connection.shard_ids = bot.shard_ids or range(bot.shard_count)

    def guilds_on(self, shard_id: int) -> list[dict[str, Any]]:
        assert self.bot is not None and self.bot.shard_count is not None
        return [g for g in self.guilds if shard_of(g["id"], self.bot.shard_count) == shard_id]

    def connect_shard(self, shard_id: int) -> None:
        """One shard's gateway session opens: its READY, then a GUILD_CREATE for each of its servers."""
        assert self.bot is not None and self.bot.shard_count is not None
        mine = self.guilds_on(shard_id)
        self.feed_now("READY", ready_payload(self.bot_user, mine, (shard_id, self.bot.shard_count)))
        for guild in mine:
            self.feed_now("GUILD_CREATE", copy.deepcopy(guild))
        self.connected_shards.add(shard_id)

    async def drop_shard(self, shard_id: int) -> None:
        """Discord closes one shard's websocket (discord.py then dispatches `shard_disconnect`)."""
        assert self.bot is not None
        self.connected_shards.discard(shard_id)
        self.bot.dispatch("disconnect")
        self.bot.dispatch("shard_disconnect", shard_id)
        await self.settle()

    async def resume_shard(self, shard_id: int) -> None:
        """The shard reconnects and resumes its session (RESUMED): nothing was missed."""
        assert self.bot is not None
        self.feed_now("RESUMED", {"__shard_id__": shard_id})
        self.connected_shards.add(shard_id)
        await self.settle()

    async def connect_late(self, shard_id: int) -> None:
        """A shard that was not connected at the start connects now, and the work it brings is done."""
        self.connect_shard(shard_id)
        await asyncio.sleep(0.05)  # discord.py waits `guild_ready_timeout` for the shard's servers
        await self.settle()

    async def close(self) -> None:
        if self.bot is not None:
            await self.settle()
            await self.bot.close()
            self.bot = None
        _uninstall_adapter(self)
        self._catcher.unwatch()

    async def restart(self, *, shards: list[int] | None = None) -> CircleBot:
        """Close the bot and build a new one on the same database, against Discord as it is now."""
        if self.bot is not None:
            await self.settle()
            await self.bot.close()
            self.bot = None
        return await self.start(shards=shards)

    async def __aenter__(self) -> StandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def advance(self, seconds: float) -> None:
        """Move time on; timers that come due run at their own moments."""
        assert self.bot is not None
        await driver.advance(self.bot.scheduler, seconds)

    def fail(self, method: str, path: str, status: int, **kwargs: Any) -> None:
        """Answer later matching calls with an error, as Discord would (a 403 with a code, a 500, a 429)."""
        self.faults.append(Fault(method=method.upper(), path=path, status=status, **kwargs))

    # What people do besides interactions --------------------------------------------------------------------

    def message_payload(self, user_id: int, channel_id: int, content: str) -> dict[str, Any]:
        """The MESSAGE_CREATE a person's message in a server channel makes (not yet sent to the bot)."""
        guild = self.guild_of(channel_id)
        member = copy.deepcopy(self.member(user_id, guild))
        author = member.pop("user")
        return {
            "id": str(self.next_id()),
            "channel_id": str(channel_id),
            "guild_id": guild["id"],
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

    async def say(self, user: int | str, channel: int | str, content: str) -> dict[str, Any]:
        """A person posts a message (MESSAGE_CREATE)."""
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.channel_id(channel) if isinstance(channel, str) else channel
        data = self.message_payload(user_id, channel_id, content)
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
        if channel_id:
            guild = self.guild_of(channel_id)
        else:
            guild = self.guild_data(previous["guild_id"]) if previous and previous.get("guild_id") else self.guild
        member = self.member(user_id, guild)
        state = {
            "guild_id": guild["id"],
            "channel_id": str(channel_id) if channel_id else None,
            "user_id": str(user_id),
            "member": member,
            "session_id": f"session-{user_id}",
            "deaf": False,
            "mute": mute if mute is not None else (previous or member).get("mute", False),
            "self_deaf": False,
            "self_mute": False,
            "self_video": False,
            "suppress": self.channel(channel_id)["type"] == 13 if channel_id else False,
            "request_to_speak_timestamp": None if hand is None else iso(hand),
        }
        if mute is not None:
            member["mute"] = mute
        await self.feed("VOICE_STATE_UPDATE", state)

    # The call log -------------------------------------------------------------------------------------------

    def calls_in_step(self, step: int) -> list[Call]:
        return [c for c in self.calls if c.step == step]

    def mark(self) -> int:
        """A bookmark in the call log; `since(mark)` lists the calls made after it."""
        return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]

    # The seams ----------------------------------------------------------------------------------------------

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
        self, route: Route, body: Any, table: Mapping[tuple[str, str], Any], kind: str
    ) -> tuple[Any, dict[str, str]]:
        """Record a call, answer it with the fault a test set for it, and find its handler (unknown: fail loudly)."""
        params = self._record(route, body)
        fault = take_fault(self.faults, route.method, route.path, params)
        if fault is not None:
            apply_fault(fault, self.bot.http.max_ratelimit_timeout if self.bot else None)
        handler = table.get((route.method, route.path))
        if handler is None:
            log.error("stand-in: the bot called an unknown %s %s %s", kind, route.method, route.path)
            raise UnknownRoute(f"{route.method} {route.path}")
        return handler, params

    async def _global_limit(self, route: Route) -> None:
        """Discord's global limit: 50 REST calls a second, in real seconds.

        A call over it is a 429, kept in `rate_limited`; then the stand-in waits it out and answers, as discord.py
        would retry it.
        """
        loop_now = asyncio.get_running_loop().time()
        window = self._recent_calls
        while window and loop_now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= GLOBAL_LIMIT:
            retry_after = 1.0 - (loop_now - window[0])
            self.rate_limited.append((route.method, route.path, round(retry_after, 3)))
            await asyncio.sleep(retry_after)
            return await self._global_limit(route)
        window.append(loop_now)
        return None

    async def rest_request(self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any) -> Any:
        await self._global_limit(route)
        body = self._body(kwargs, form, files)
        handler, params = self._accept(route, body, REST_ROUTES, "route")
        return await handler(self, params, body, kwargs.get("params") or {})

    async def webhook_request(self, route: Route, **kwargs: Any) -> Any:
        body = self._body(kwargs)
        handler, params = self._accept(route, body, WEBHOOK_ROUTES, "webhook route")
        return await handler(self, params, body or {})
