"""A loopback Discord for tests that run the bot for real: aiohttp REST and zlib websocket gateways on 127.0.0.1.

`tests/test_loopback.py` shows the approach on one connection; this one adds what a bot that runs for a while
needs: messages and DMs (each recorded, and held on request so a test can stop the bot while a call is under way),
users, a refused Scheduled Event, one gateway session per shard with RESUME, and dropping a shard's connection and
letting it back in. Used in this process (`serve()`, `AutoShardedBot`) and by real `python -m bot` processes
through `tests/loopback_launcher.py`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yarl
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from bot.permissions import permissions_needed
from bot.testing import DEFAULT_BOT_USER, _user, default_guild, snowflake_at

GUILD_ID = 1310000000000000001
ZLIB_SUFFIX = b"\x00\x00\xff\xff"
WAIT_SECONDS = 30.0  # only a broken bot keeps a test waiting this long


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly `application/json`: discord.py treats `application/json; charset=utf-8` as text.
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


@dataclass
class Posted:
    """A message the bot sent: to a server channel or, with `dm_user`, to a member's DMs."""

    channel_id: int
    content: str
    dm_user: int | None = None
    wall: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Session:
    """One gateway connection."""

    ws: web.WebSocketResponse
    compressor: Any
    shard: tuple[int, int] = (0, 1)
    sequence: int = 0
    identified: asyncio.Event = field(default_factory=asyncio.Event)


class LoopbackDiscord:
    def __init__(self, *, token: str, guild: dict[str, Any] | None = None) -> None:
        self.token = token
        self.bot_user = copy.deepcopy(DEFAULT_BOT_USER)
        self.guild = guild or default_guild(GUILD_ID)
        self._add_bot_member()
        self.app = web.Application()
        api = "/api/v10"
        self.app.router.add_get(f"{api}/users/@me", self._me)
        self.app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        self.app.router.add_get(f"{api}/gateway/bot", self._gateway_bot)
        self.app.router.add_post(f"{api}/users/@me/channels", self._open_dm)
        self.app.router.add_get(f"{api}/users/{{user_id}}", self._user)
        self.app.router.add_post(f"{api}/channels/{{channel_id}}/messages", self._post_message)
        self.app.router.add_patch(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self._edit_message)
        self.app.router.add_post(f"{api}/guilds/{{guild_id}}/scheduled-events", self._refuse_event)
        self.app.router.add_get("/gateway", self._gateway)
        self.app.router.add_route("*", "/{tail:.*}", self._unknown)
        self.server = TestServer(self.app, host="127.0.0.1")
        self.shard_count = 1
        self.unknown: list[str] = []
        self.bad_auth: list[str] = []
        self.posted: list[Posted] = []
        self.message_posted = asyncio.Condition()
        self.sessions: dict[int, Session] = {}
        self.identifies: list[tuple[int, int]] = []
        self.resumes: list[int] = []
        self.accepting = asyncio.Event()
        self.accepting.set()
        self._dm_channels: dict[int, int] = {}  # DM channel id -> user id
        self._held: set[int] = set()  # channel ids whose posts wait for `release`
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self._counter = 0

    # Life cycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start_server()

    async def close(self) -> None:
        self.release.set()
        self.accepting.set()
        for session in list(self.sessions.values()):
            if not session.ws.closed:
                await session.ws.close()
        await self.server.close()

    @property
    def api_base(self) -> str:
        return str(self.server.make_url("/api/v10"))

    @property
    def gateway_url(self) -> yarl.URL:
        return self.server.make_url("/gateway").with_scheme("ws")

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

    def user_ids(self) -> list[int]:
        """The server's people (the owner first), not the bot."""
        bot_id = int(self.bot_user["id"])
        return [int(m["user"]["id"]) for m in self.guild["members"] if int(m["user"]["id"]) != bot_id]

    def next_id(self) -> int:
        self._counter += 1
        return snowflake_at(datetime.now(UTC), self._counter)

    def channel_id(self, name: str) -> int:
        return int(next(c["id"] for c in self.guild["channels"] if c["name"] == name))

    # Test controls ------------------------------------------------------------------------------------------

    def hold_posts_in(self, channel_id: int) -> None:
        """The next posts to this channel are recorded at once but answered only after `release` is set."""
        self._held.add(channel_id)
        self.held.clear()
        self.release.clear()

    async def wait_for_posts(self, count: int, *, dm: bool | None = None) -> list[Posted]:
        """Wait until at least `count` messages (DMs only, server channels only, or both) were posted."""

        def chosen() -> list[Posted]:
            return [p for p in self.posted if dm is None or (p.dm_user is not None) == dm]

        async with self.message_posted:
            await asyncio.wait_for(self.message_posted.wait_for(lambda: len(chosen()) >= count), WAIT_SECONDS)
        return chosen()

    async def drop(self, shard_id: int = 0) -> None:
        """Discord drops a shard's connection (close code 4000: the bot may resume); it is let back in later."""
        self.accepting.clear()
        session = self.sessions.pop(shard_id)
        await session.ws.close(code=4000, message=b"loopback: dropped")

    def let_back_in(self) -> None:
        self.accepting.set()

    # REST ---------------------------------------------------------------------------------------------------

    def _check_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            self.bad_auth.append(f"{request.method} {request.path}")

    async def _me(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        return json_response(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        return json_response(
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
                "owner": self.guild["members"][0]["user"],
                "summary": "",
                "interactions_endpoint_url": None,
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": str(self.gateway_url), "shards": self.shard_count, "session_start_limit": limit})

    def _member_user(self, user_id: int) -> dict[str, Any] | None:
        return next((m["user"] for m in self.guild["members"] if int(m["user"]["id"]) == user_id), None)

    async def _user(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        user = self._member_user(int(request.match_info["user_id"]))
        if user is None:
            return json_response({"message": "Unknown User", "code": 10013}, status=404)
        return json_response(user)

    async def _open_dm(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        user_id = int((await request.json())["recipient_id"])
        user = self._member_user(user_id) or _user(user_id, "Someone")
        channel_id = next((c for c, u in self._dm_channels.items() if u == user_id), None) or self.next_id()
        self._dm_channels[channel_id] = user_id
        return json_response({"id": str(channel_id), "type": 1, "last_message_id": None, "recipients": [user]})

    def _message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.next_id()),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if channel_id not in self._dm_channels:
            data["guild_id"] = self.guild["id"]
        return data

    async def _post_message(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        channel_id = int(request.match_info["channel_id"])
        body = await request.json()
        posted = Posted(channel_id, body.get("content") or "", self._dm_channels.get(channel_id))
        async with self.message_posted:
            self.posted.append(posted)
            self.message_posted.notify_all()
        if channel_id in self._held:
            self.held.set()
            await self.release.wait()
        return json_response(self._message(channel_id, body))

    async def _edit_message(self, request: web.Request) -> web.Response:
        self._check_auth(request)
        channel_id = int(request.match_info["channel_id"])
        data = self._message(channel_id, await request.json())
        data["id"] = request.match_info["message_id"]
        return json_response(data)

    async def _refuse_event(self, request: web.Request) -> web.Response:
        # The bot lacks Create Events here: it notes that quietly and carries on.
        self._check_auth(request)
        return json_response({"message": "Missing Permissions", "code": 50013}, status=403)

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown.append(f"{request.method} {request.path_qs}")
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    # Gateway ------------------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        # zlib-stream is one deflate stream per connection, each message ending in a sync flush; anything else
        # (none, or zstd-stream on newer Pythons) gets plain text frames, which discord.py always accepts.
        compressor = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        session = Session(ws, compressor)
        await self.accepting.wait()  # a dropped shard's new connection gets no HELLO until it is let back in
        await self._send(session, {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await self._send(session, {"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                session.shard = tuple(payload["d"].get("shard") or (0, 1))  # type: ignore[assignment]
                self.identifies.append(session.shard)
                self.sessions[session.shard[0]] = session
                await self._dispatch(session, "READY", self._ready(session))
                if self._guild_shard(session.shard[1]) == session.shard[0]:
                    await self._dispatch(session, "GUILD_CREATE", copy.deepcopy(self.guild))
                session.identified.set()
            elif payload["op"] == 6:
                shard_id = int(payload["d"]["session_id"].rsplit("-", 1)[1])
                session.shard = (shard_id, self.shard_count)
                session.sequence = int(payload["d"].get("seq") or 0)
                self.resumes.append(shard_id)
                self.sessions[shard_id] = session
                await self._dispatch(session, "RESUMED", {})
                session.identified.set()
            else:
                self.unknown.append(f"gateway op {payload['op']}")
        return ws

    def _guild_shard(self, shard_count: int) -> int:
        """Discord's rule: a server lives on shard (id >> 22) % shard_count."""
        return (int(self.guild["id"]) >> 22) % shard_count

    def _ready(self, session: Session) -> dict[str, Any]:
        shard_id, count = session.shard
        guilds = [{"id": self.guild["id"], "unavailable": True}] if self._guild_shard(count) == shard_id else []
        return {
            "v": 10,
            "user": self.bot_user,
            "guilds": guilds,
            "session_id": f"loopback-session-{shard_id}",
            "resume_gateway_url": str(self.gateway_url),
            "application": {"id": self.bot_user["id"], "flags": 0},
            "private_channels": [],
            "relationships": [],
            "shard": [shard_id, count],
        }

    async def _send(self, session: Session, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        if session.compressor is not None:
            data = session.compressor.compress(text.encode()) + session.compressor.flush(zlib.Z_SYNC_FLUSH)
            assert data.endswith(ZLIB_SUFFIX)
            await session.ws.send_bytes(data)
        else:
            await session.ws.send_str(text)

    async def _dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.sequence += 1
        await self._send(session, {"op": 0, "t": event, "s": session.sequence, "d": data})
