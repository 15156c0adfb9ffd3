"""The health endpoint on a real aiohttp server on 127.0.0.1, in front of a bot connected to a loopback Discord.

`/healthz` is 200 only while every shard's connection is open, the bot is ready and the database answers: it turns
503 when the gateway drops (and 200 again when the bot is back), when the database closes under the bot, and when
the bot closes. It works the same for one connection and for an `AutoShardedBot`. `/metrics` is Prometheus' text
format with the counts the bot keeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import CircleBot
from bot.domain.crisis import Screen
from bot.health import CountingScreen, HealthServer, Metrics
from bot.runner import serve
from bot.settings import Settings
from bot.testing import WATCHED_LOGGERS
from tests.loopback_discord import LoopbackDiscord

TOKEN = "loopback-token"
STEP_TIMEOUT = 15.0
# A sample line of Prometheus' text format: a name, optional labels, a value.
SAMPLE = re.compile(r'^([a-z_]+)(\{(?:[a-z_]+="[^"\\]*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$')


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}")


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=TOKEN,
        database_path=tmp_path / "health.db",
        **extra,
    )


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LoopbackDiscord]:
    discord = LoopbackDiscord(token=TOKEN)
    await discord.start()
    monkeypatch.setattr(Route, "BASE", discord.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway_url)
    errors = _Errors()
    for name in WATCHED_LOGGERS:
        logging.getLogger(name).addHandler(errors)
    try:
        yield discord
    finally:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(errors)
        await discord.close()
    assert errors.records == [], errors.records
    assert discord.unknown == [] and discord.bad_auth == []


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.text()


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(int(STEP_TIMEOUT / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class Probe:
    def __init__(self, health: HealthServer) -> None:
        self.base = f"http://127.0.0.1:{health.port}"

    async def healthz(self) -> tuple[int, dict[str, Any]]:
        status, text = await _get(f"{self.base}/healthz")
        return status, json.loads(text)

    async def status_is(self, wanted: int) -> bool:
        return (await self.healthz())[0] == wanted

    async def metrics(self) -> dict[str, float]:
        """Every sample by name and labels, after checking each line is Prometheus' text format."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.base}/metrics") as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            text = await answer.text()
        samples: dict[str, float] = {}
        declared: set[str] = set()
        for line in text.splitlines():
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                parts = line.split(" ", 3)
                assert len(parts) == 4 and parts[3], line
                if parts[1] == "TYPE":
                    assert parts[3] in ("gauge", "counter"), line
                    declared.add(parts[2])
                continue
            match = SAMPLE.match(line)
            assert match is not None, f"not Prometheus text format: {line!r}"
            assert match.group(1) in declared, f"{match.group(1)} has no TYPE line"
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3).replace("+Inf", "inf"))
        return samples


@contextlib.asynccontextmanager
async def _served(
    tmp_path: Path, bot_class: type[CircleBot] | None = None, **options: Any
) -> AsyncIterator[tuple[CircleBot, Probe, asyncio.Task[None]]]:
    """The bot as `serve()` runs it, with a health server of its own (so it outlives the bot's close)."""
    metrics = Metrics()
    built: asyncio.Future[CircleBot] = asyncio.get_running_loop().create_future()
    if bot_class is not None:
        options["bot_class"] = bot_class
    task = asyncio.create_task(
        _serve(_settings(tmp_path), built, http_trace=metrics.trace_config(), guild_ready_timeout=0.05, **options)
    )
    bot = await asyncio.wait_for(built, STEP_TIMEOUT)
    health = HealthServer(bot, metrics, host="127.0.0.1", port=0)
    await health.start()
    try:
        yield bot, Probe(health), task
    finally:
        if not bot.is_closed():
            await bot.close()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), STEP_TIMEOUT)
        await health.stop()


async def _serve(settings: Settings, built: asyncio.Future[CircleBot], **options: Any) -> None:
    bot_class = options.pop("bot_class", None)
    if bot_class is None:
        await serve(settings, on_built=built.set_result, freeze_memory=False, **options)
        return
    # The same life as serve()'s, for a bot class of the test's choosing.
    bot = bot_class(settings, **options)
    built.set_result(bot)
    async with bot:
        await bot.start(TOKEN)


async def test_healthz_follows_the_gateway_and_metrics_count_what_the_bot_did(
    tmp_path: Path, fake: LoopbackDiscord
) -> None:
    async with _served(tmp_path) as (bot, probe, _task):
        await _until(lambda: probe.status_is(200), "/healthz to say 200")
        status, body = await probe.healthz()
        assert status == 200
        assert body == {"status": "ok", "ready": True, "database": True, "shards": {"0": "connected"}}

        samples = await probe.metrics()
        assert samples["empathy_circles_up"] == 1
        assert samples['empathy_circles_gateway_connected{shard="0"}'] == 1
        assert 0 <= samples['empathy_circles_gateway_latency_seconds{shard="0"}'] < 5  # beaten once on HELLO
        assert samples['empathy_circles_guilds{shard="0"}'] == 1
        # The login pair went through discord.py's HTTP client and its trace hook.
        assert samples['empathy_circles_rest_requests_total{method="GET",status="200"}'] >= 2
        assert samples["empathy_circles_rest_pacing_longest_wait_seconds"] == bot.pacer.longest_wait
        assert samples["empathy_circles_active_circles"] == 0
        assert samples["empathy_circles_messages_screened_total"] == 0
        assert "empathy_circles_timer_lag_seconds" in samples

        # Discord drops the connection: unhealthy until the bot is back in (it resumes its session).
        await fake.drop(0)
        await _until(lambda: probe.status_is(503), "/healthz to say 503 while the gateway is down")
        status, body = await probe.healthz()
        assert status == 503 and body["shards"] == {"0": "disconnected"} and body["database"] is True
        assert (await probe.metrics())['empathy_circles_gateway_connected{shard="0"}'] == 0
        fake.let_back_in()
        await _until(lambda: probe.status_is(200), "/healthz to say 200 again")
        assert fake.resumes == [0]

        # The database closes under the bot: unhealthy, and /metrics still answers (without a circle count).
        await bot.db.close()
        status, body = await probe.healthz()
        assert status == 503 and body["database"] is False and body["shards"] == {"0": "connected"}
        samples = await probe.metrics()
        assert samples["empathy_circles_database_up"] == 0 and "empathy_circles_active_circles" not in samples


async def test_healthz_is_503_once_the_bot_is_closed(tmp_path: Path, fake: LoopbackDiscord) -> None:
    async with _served(tmp_path) as (bot, probe, task):
        await _until(lambda: probe.status_is(200), "/healthz to say 200")
        await bot.close()
        await asyncio.wait_for(task, STEP_TIMEOUT)
        status, body = await probe.healthz()
        assert status == 503
        assert body == {"status": "stopping", "ready": False, "database": False, "shards": {}}
        assert (await probe.metrics())["empathy_circles_up"] == 0


class ShardedCircleBot(CircleBot, commands.AutoShardedBot):
    """The bot on an `AutoShardedBot`, as it is about to become; shards identify at once (no 5 s apart)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_healthz_watches_every_shard_of_an_auto_sharded_bot(tmp_path: Path, fake: LoopbackDiscord) -> None:
    fake.shard_count = 2
    async with _served(tmp_path, ShardedCircleBot, shard_count=2) as (bot, probe, _task):
        await _until(lambda: probe.status_is(200), "/healthz to say 200 with both shards")
        assert isinstance(bot, commands.AutoShardedBot) and sorted(bot.shards) == [0, 1]
        status, body = await probe.healthz()
        assert status == 200 and body["shards"] == {"0": "connected", "1": "connected"}
        assert sorted(fake.identifies) == [(0, 2), (1, 2)]
        samples = await probe.metrics()
        assert samples['empathy_circles_gateway_connected{shard="1"}'] == 1
        on_shard = (int(fake.guild["id"]) >> 22) % 2
        assert samples[f'empathy_circles_guilds{{shard="{on_shard}"}}'] == 1
        assert samples[f'empathy_circles_guilds{{shard="{1 - on_shard}"}}'] == 0

        await fake.drop(1)
        await _until(lambda: probe.status_is(503), "/healthz to say 503 with shard 1 down")
        status, body = await probe.healthz()
        assert status == 503 and body["shards"] == {"0": "connected", "1": "disconnected"}
        fake.let_back_in()
        await _until(lambda: probe.status_is(200), "/healthz to say 200 with shard 1 back")


async def test_rest_calls_and_rate_limits_are_counted_through_the_trace_hook() -> None:
    async def limited(_request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"X-RateLimit-Scope": "shared"}, text="{}")

    async def fine(_request: web.Request) -> web.Response:
        return web.Response(text="{}")

    app = web.Application()
    app.router.add_post("/api/v10/channels/1/messages", limited)
    app.router.add_get("/api/v10/users/@me", fine)
    app.router.add_get("/cdn/file.png", fine)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    metrics = Metrics()
    try:
        async with aiohttp.ClientSession(trace_configs=[metrics.trace_config()]) as session:
            for method, path in (("POST", "/api/v10/channels/1/messages"), ("GET", "/api/v10/users/@me")) * 2:
                async with session.request(method, server.make_url(path)):
                    pass
            async with session.get(server.make_url("/cdn/file.png")):
                pass  # not Discord's API: not counted
            with socket.socket() as unused:
                unused.bind(("127.0.0.1", 0))
                port = unused.getsockname()[1]
            with pytest.raises(aiohttp.ClientConnectionError):
                async with session.get(f"http://127.0.0.1:{port}/api/v10/gateway"):
                    pass
    finally:
        await server.close()
    assert metrics.rest_requests == {("POST", "429"): 2, ("GET", "200"): 2, ("GET", "error"): 1}
    assert metrics.rate_limited == {"shared": 2}


def test_the_counting_screen_reads_like_the_screen_and_only_counts() -> None:
    screen = Screen.load()
    metrics = Metrics()
    counting = CountingScreen(screen, metrics)
    for text in ("what a lovely morning", "I want to end my life tonight"):
        assert counting.check(text) == screen.check(text)
    assert metrics.messages_screened == 2


async def test_serve_binds_127_0_0_1_unless_told_and_says_so_when_the_port_is_taken(tmp_path: Path) -> None:
    assert _settings(tmp_path).health_host == "127.0.0.1"
    assert _settings(tmp_path).health_port is None
    assert _settings(tmp_path, health_port="").health_port is None  # an empty line in .env: off
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit) as stopped:
            await serve(_settings(tmp_path, health_port=taken.getsockname()[1]), freeze_memory=False)
    assert stopped.value.code == 2
