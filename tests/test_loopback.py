"""The real start-up path against a loopback Discord: aiohttp REST and a real websocket gateway on 127.0.0.1.

`serve()` is what `python -m bot run` calls. Here it talks to a small fake Discord through discord.py's own
HTTP client and gateway code: login, the guild command sync, HELLO / IDENTIFY / heartbeats, READY and
GUILD_CREATE, one `/config show` from the server owner, and a clean shutdown.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import json
import logging
import zlib
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
import yarl
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.app import CircleBot
from bot.permissions import permissions_needed
from bot.runner import serve
from bot.settings import Settings
from bot.testing import _ORIGINAL_ADAPTER_REQUEST as ORIGINAL_ADAPTER_REQUEST
from bot.testing import DEFAULT_BOT_USER, EPHEMERAL, WATCHED_LOGGERS, default_guild, snowflake_at

T = TypeVar("T")

TOKEN = "loopback-token"
GUILD_ID = 1310000000000000001
OWNER_PERMISSIONS = "8866461766385663"  # what Discord sends for a server owner (administrator included)
# Generous: only a broken bot ever waits this long, and then the test fails instead of hanging.
STEP_TIMEOUT = 10.0
ZLIB_SUFFIX = b"\x00\x00\xff\xff"


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly `application/json`: discord.py treats `application/json; charset=utf-8` as text.
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


class _Errors(logging.Handler):
    """Collects every ERROR (and APScheduler's "was missed by") from discord.py, the bot and asyncio."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or "was missed by" in message:
            if record.exc_info and record.exc_info[1] is not None:
                message = f"{message}: {record.exc_info[1]!r}"
            self.records.append(f"{record.name}: {message}")


class LoopbackDiscord:
    """Just enough of Discord's REST API and gateway to log in, sync commands, get ready and answer one."""

    def __init__(self) -> None:
        self.bot_user = copy.deepcopy(DEFAULT_BOT_USER)
        self.guild = default_guild(GUILD_ID)
        self._add_bot_member()
        self.app = web.Application()
        self.app.router.add_get("/api/v10/users/@me", self._me)
        self.app.router.add_get("/api/v10/oauth2/applications/@me", self._application)
        self.app.router.add_get("/api/v10/gateway/bot", self._gateway_bot)
        guild_commands = "/api/v10/applications/{application_id}/guilds/{guild_id}/commands"
        self.app.router.add_put(guild_commands, self._sync)
        self.app.router.add_post("/api/v10/interactions/{interaction_id}/{token}/callback", self._callback)
        self.app.router.add_get("/gateway", self._gateway)
        self.app.router.add_route("*", "/{tail:.*}", self._unknown)
        self.server = TestServer(self.app, host="127.0.0.1")
        self.requests: list[tuple[str, str]] = []
        self.unknown: list[str] = []
        self.bad_auth: list[str] = []
        self.synced: dict[int, list[dict[str, Any]]] = {}  # guild id -> the bulk PUT body
        self.answered: dict[int, list[dict[str, Any]]] = {}  # guild id -> what Discord answered to the PUT
        self.callbacks: dict[str, asyncio.Future[dict[str, Any]]] = {}  # interaction token -> callback body
        self.identify: dict[str, Any] | None = None
        self.heartbeats = 0
        self.compression: str | None = None
        self.ready_sent = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._zlib: Any = None
        self._send_lock = asyncio.Lock()
        self._sequence = 0
        self._counter = 0

    # Life cycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start_server()

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        await self.server.close()

    @property
    def api_base(self) -> str:
        return str(self.server.make_url("/api/v10"))

    @property
    def gateway_url(self) -> yarl.URL:
        return self.server.make_url("/gateway").with_scheme("ws")

    # State --------------------------------------------------------------------------------------------------

    def next_id(self) -> int:
        self._counter += 1
        return snowflake_at(datetime.now(UTC), self._counter)

    def _add_bot_member(self) -> None:
        """Discord lists the bot among the members of a server it is in, with its managed role."""
        role_id = str(int(self.bot_user["id"]) + 1)
        role = dict(self.guild["roles"][0], id=role_id, name="Circlekeeper", position=1, managed=True)
        role.update(permissions=str(permissions_needed().value), tags={"bot_id": self.bot_user["id"]})
        self.guild["roles"].append(role)
        member = copy.deepcopy(self.guild["members"][0])
        member.update(user=self.bot_user, roles=[role_id])
        self.guild["members"].append(member)
        self.guild["member_count"] += 1

    def _check_auth(self, request: web.Request) -> None:
        self.requests.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bot {TOKEN}":
            self.bad_auth.append(f"{request.method} {request.path}")

    # REST ---------------------------------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        owner = self.guild["members"][0]["user"]
        return _json(
            {
                "id": self.bot_user["id"],
                "name": self.bot_user["global_name"],
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
        )

    async def _sync(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        if request.match_info["application_id"] != self.bot_user["id"]:
            return await self._unknown(request)
        guild_id = int(request.match_info["guild_id"])
        body = await request.json()
        self.synced[guild_id] = body
        answered = [
            {
                "id": str(self.next_id()),
                "application_id": self.bot_user["id"],
                "guild_id": str(guild_id),
                "version": str(self.next_id()),
                "type": 1,
                "nsfw": False,
                "default_member_permissions": None,
                **command,
            }
            for command in body
        ]
        self.answered[guild_id] = answered
        return _json(answered)

    async def _callback(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        future = self.callbacks.get(token)
        if future is None or future.done() or request.query.get("with_response") != "1":
            return await self._unknown(request)
        self.requests.append((request.method, request.path))
        body = await request.json()
        future.set_result(body)
        data = body.get("data") or {}
        message = {
            "id": str(self.next_id()),
            "channel_id": str(GUILD_ID + 20),
            "guild_id": str(GUILD_ID),
            "author": self.bot_user,
            "content": data.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "pinned": False,
            "type": 20,
            "flags": int(data.get("flags") or 0),
            "webhook_id": self.bot_user["id"],
            "application_id": self.bot_user["id"],
        }
        interaction = {
            "id": request.match_info["interaction_id"],
            "type": 2,
            "response_message_id": message["id"],
            "response_message_loading": False,
            "response_message_ephemeral": bool(message["flags"] & EPHEMERAL),
        }
        return _json({"interaction": interaction, "resource": {"type": body["type"], "message": message}})

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path_qs}")
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    # Gateway ------------------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.compression = request.query.get("compress")
        # zlib-stream is one deflate stream per connection, each message ending in a sync flush. Anything else
        # (none, or zstd-stream on newer Pythons) gets plain text frames, which discord.py always accepts.
        self._zlib = zlib.compressobj() if self.compression == "zlib-stream" else None
        self._sequence = 0
        await self._send({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            if payload["op"] == 1:
                self.heartbeats += 1
                await self._send({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                self.identify = payload["d"]
                await self.dispatch("READY", self._ready_payload())
                await self.dispatch("GUILD_CREATE", copy.deepcopy(self.guild))
                self.ready_sent.set()
            else:
                self.unknown.append(f"gateway op {payload['op']}")
        return ws

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        """The sharded bot asks where to connect and how many shards to run: one here."""
        self._check_auth(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": str(self.gateway_url), "shards": 1, "session_start_limit": limit})

    def _ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": self.guild["id"], "unavailable": True}],
            "session_id": "loopback-session",
            "resume_gateway_url": str(self.gateway_url),
            "application": {"id": self.bot_user["id"], "flags": 0},
            "private_channels": [],
            "relationships": [],
            "shard": [0, 1],
        }

    async def _send(self, payload: dict[str, Any]) -> None:
        assert self._ws is not None, "the bot has not connected to the gateway"
        text = json.dumps(payload)
        async with self._send_lock:
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                assert data.endswith(ZLIB_SUFFIX)
                await self._ws.send_bytes(data)
            else:
                await self._ws.send_str(text)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._sequence += 1
        await self._send({"op": 0, "t": event, "s": self._sequence, "d": data})

    # Interactions -------------------------------------------------------------------------------------------

    def slash(self, user_index: int, command: str, subcommand: str) -> dict[str, Any]:
        """An INTERACTION_CREATE for `/command subcommand`, from a member, in #circle-room."""
        member = copy.deepcopy(self.guild["members"][user_index])
        member["permissions"] = OWNER_PERMISSIONS
        channel = next(c for c in self.guild["channels"] if c["name"] == "circle-room")
        command_id = next(c["id"] for c in self.answered[GUILD_ID] if c["name"] == command)
        interaction_id = self.next_id()
        token = f"loopback-{interaction_id}"
        self.callbacks[token] = asyncio.get_running_loop().create_future()
        return {
            "id": str(interaction_id),
            "application_id": self.bot_user["id"],
            "type": 2,
            "guild_id": self.guild["id"],
            "guild": {"id": self.guild["id"], "locale": "en-US", "features": []},
            "channel_id": channel["id"],
            "channel": {
                **{k: v for k, v in channel.items() if k != "permission_overwrites"},
                "guild_id": self.guild["id"],
                "permissions": OWNER_PERMISSIONS,
            },
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": str(permissions_needed().value),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild["id"]},
            "context": 0,
            "attachment_size_limit": 10485760,
            "data": {
                "id": command_id,
                "name": command,
                "type": 1,
                "guild_id": self.guild["id"],
                "options": [{"type": 1, "name": subcommand, "options": []}],
            },
        }


def _command_names(commands: list[dict[str, Any]]) -> set[str]:
    """Every command and subcommand in a sync body, by qualified name."""
    names: set[str] = set()

    def walk(prefix: str, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if entry.get("type", 1) in (1, 2):  # subcommand, subcommand group
                names.add(f"{prefix}{entry['name']}")
                walk(f"{prefix}{entry['name']} ", entry.get("options") or [])

    for command in commands:
        names.add(command["name"])
        walk(f"{command['name']} ", command.get("options") or [])
    return names


def _tree_names(commands: list[Any]) -> set[str]:
    names: set[str] = set()
    for command in commands:
        names.add(command.qualified_name)
        if isinstance(command, app_commands.Group):
            names |= _tree_names(command.commands)
    return names


async def _or_serve_failed(awaitable: Awaitable[T], serve_task: asyncio.Task[None], what: str) -> T:
    """Await `awaitable`, but fail at once if the bot stopped, and never wait forever."""
    step = asyncio.ensure_future(awaitable)
    either = {step, serve_task}
    done, _ = await asyncio.wait(either, timeout=STEP_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if step in done:
        return step.result()
    step.cancel()
    if serve_task in done:
        serve_task.result()  # raises what stopped the bot
        pytest.fail(f"the bot stopped before {what}")
    pytest.fail(f"timed out waiting for {what}")


async def test_serve_reaches_ready_syncs_answers_and_shuts_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = _Errors()
    for name in WATCHED_LOGGERS:
        logging.getLogger(name).addHandler(errors)
    fake = LoopbackDiscord()
    await fake.start()
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", fake.gateway_url)
    # Interaction callbacks must reach the loopback server over HTTP, even if a stand-in elsewhere in the
    # session left its in-process hook on discord.py's webhook adapter.
    monkeypatch.setattr(AsyncWebhookAdapter, "request", ORIGINAL_ADAPTER_REQUEST)

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=TOKEN,
        database_path=tmp_path / "loopback.db",
        dev_guild_id=GUILD_ID,
        log_level="INFO",
    )
    built: asyncio.Future[CircleBot] = asyncio.get_running_loop().create_future()
    serve_task = asyncio.create_task(serve(settings, on_built=built.set_result, guild_ready_timeout=0.05))
    bot: CircleBot | None = None
    try:
        bot = await _or_serve_failed(built, serve_task, "the bot to be built")

        # Login, setup_hook (database, extensions, guild sync), gateway, READY and GUILD_CREATE.
        await _or_serve_failed(bot.wait_until_ready(), serve_task, "READY")
        assert bot.db_open
        # The real process freezes what it loaded, so full garbage collections skip it (bench/bench_streaks.py).
        assert gc.get_freeze_count() > 0
        gc.unfreeze()  # this test process goes on to build many more bots
        assert bot.user is not None and bot.user.id == int(fake.bot_user["id"])
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None and guild.owner_id == GUILD_ID + 2 and guild.me is not None

        assert fake.identify is not None
        assert fake.identify["token"] == TOKEN
        assert fake.identify["intents"] == bot.intents.value
        assert fake.compression in (None, "zlib-stream", "zstd-stream")
        assert fake.heartbeats >= 1  # discord.py beats once on HELLO

        # The bulk PUT to the development server lists every command the tree holds for it.
        assert list(fake.synced) == [GUILD_ID]
        expected = bot.tree.get_commands(guild=discord.Object(id=GUILD_ID))
        assert expected, "no commands were copied to the development server"
        assert sorted(c["name"] for c in fake.synced[GUILD_ID]) == sorted(c.name for c in expected)
        assert _command_names(fake.synced[GUILD_ID]) == _tree_names(expected)
        assert "config show" in _command_names(fake.synced[GUILD_ID])

        # `/config show` from the owner arrives over the websocket and is answered privately over HTTP.
        completed = asyncio.ensure_future(bot.wait_for("app_command_completion", timeout=STEP_TIMEOUT))
        interaction = fake.slash(0, "config", "show")
        await fake.dispatch("INTERACTION_CREATE", interaction)
        callback = await _or_serve_failed(fake.callbacks[interaction["token"]], serve_task, "the callback")
        assert callback["type"] == 4
        assert callback["data"]["flags"] & EPHEMERAL == EPHEMERAL
        assert "**Circles**" in callback["data"]["content"] and "Readiness" not in callback["data"]["content"]
        done_interaction, command = await _or_serve_failed(completed, serve_task, "/config show to complete")
        assert done_interaction.id == int(interaction["id"])
        assert command.qualified_name == "config show"

        assert fake.unknown == []
        assert fake.bad_auth == []
        # Nothing else was asked of REST: the login pair, where to connect, the one sync and the one callback.
        routes = sorted((method, path.split("/")[3]) for method, path in fake.requests)
        assert routes == [
            ("GET", "gateway"),
            ("GET", "oauth2"),
            ("GET", "users"),
            ("POST", "interactions"),
            ("PUT", "applications"),
        ]

        # Shut down the way a signal handler would: close, then `serve` returns.
        await asyncio.wait_for(bot.close(), STEP_TIMEOUT)
        await asyncio.wait_for(serve_task, STEP_TIMEOUT)
        assert serve_task.exception() is None
        assert bot.is_closed()
        assert not bot.db_open
    finally:
        if bot is not None and not bot.is_closed():
            await asyncio.wait_for(bot.close(), STEP_TIMEOUT)
        if not serve_task.done():
            serve_task.cancel()
            await asyncio.gather(serve_task, return_exceptions=True)
        await fake.close()
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(errors)
    assert errors.records == [], f"errors were logged: {errors.records}"
