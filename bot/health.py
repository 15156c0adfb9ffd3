"""The optional health endpoint: `/healthz` for Docker's HEALTHCHECK and uptime checks, `/metrics` for Prometheus.

Off unless `HEALTH_PORT` is set, and bound to 127.0.0.1 unless `HEALTH_HOST` says otherwise: it holds nothing
secret, but it is nobody else's business either. `/healthz` answers 200 when every shard's gateway connection is
open, the bot is ready and the database answers, else 503, with the parts as JSON. It reads the same things from a
plain `commands.Bot` (one connection) and an `AutoShardedBot` (`bot.shards`), so either works.

`/metrics` is Prometheus' text format, written here: a dozen lines do not need a client library with global
registries. What it counts, and where from:

- REST calls and 429s: discord.py's own hook, the `aiohttp.TraceConfig` it takes as `http_trace`, sees every
  request its HTTP client makes (interaction responses included); only calls to Discord's API are counted;
- waits for the bot's own REST budget: the pacer's counters (`bot/pacing.py`);
- per-shard latency and connection: discord.py's heartbeat round trip;
- active circles: the database (the source of truth, also before start-up has restored every circle);
- timer lag: how late a one-second timer on the event loop wakes (APScheduler's timers wake on the same loop);
- messages screened: the crisis screen counts the messages it reads (only how many: no text, no id).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from aiohttp import web

from bot.domain.crisis import Finding, Screen

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

DATABASE_TIMEOUT_SECONDS = 2.0
"""A database that takes longer than this to answer one tiny query counts as not answering."""
PROBE_SECONDS = 1.0
LAG_WINDOW = 60
"""The timer-lag gauge is the worst of the last this many probes (a minute)."""
PREFIX = "empathy_circles_"


class Metrics:
    """Counters the bot keeps for `/metrics`; cheap enough to bump on every REST call and message."""

    def __init__(self) -> None:
        self.rest_requests: Counter[tuple[str, str]] = Counter()
        """(method, status) -> calls; status "error" when no answer came (a connection failure)."""
        self.rate_limited: Counter[str] = Counter()
        """Discord's `X-RateLimit-Scope` of each 429 (user, global, shared) -> how many."""
        self.messages_screened = 0
        self.lags: deque[float] = deque(maxlen=LAG_WINDOW)

    def trace_config(self) -> aiohttp.TraceConfig:
        """The hook to pass to the bot as `http_trace`: every request its HTTP client makes reaches it."""
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(self._request_ended)
        trace.on_request_exception.append(self._request_failed)
        return trace

    async def _request_ended(
        self, _session: aiohttp.ClientSession, _context: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        if not _is_api(params.url):
            return  # the gateway's websocket upgrade, a CDN download: not REST calls
        status = params.response.status
        self.rest_requests[(params.method, str(status))] += 1
        if status == 429:
            self.rate_limited[params.response.headers.get("X-RateLimit-Scope", "unknown")] += 1

    async def _request_failed(
        self, _session: aiohttp.ClientSession, _context: Any, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        if _is_api(params.url):
            self.rest_requests[(params.method, "error")] += 1


def _is_api(url: Any) -> bool:
    return "/api/v" in url.path


class CountingScreen(Screen):
    """The bot's crisis screen, counting the messages it reads for `/metrics` (how many, nothing else)."""

    def __init__(self, screen: Screen, metrics: Metrics) -> None:
        super().__init__(screen.lexicon)
        self._metrics = metrics

    def check(self, text: str) -> Finding:
        self._metrics.messages_screened += 1
        return super().check(text)


# What /healthz and /metrics read --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """One shard's gateway connection."""

    open: bool
    latency: float
    """Seconds between a heartbeat and its acknowledgement; +Inf before the first one, NaN without a socket."""


@dataclass(frozen=True, slots=True)
class Health:
    ready: bool
    database: bool
    shards: dict[int, Link] = field(default_factory=dict)
    stopping: bool = False

    @property
    def ok(self) -> bool:
        connected = bool(self.shards) and all(s.open for s in self.shards.values())
        return self.ready and self.database and connected and not self.stopping

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "stopping" if self.stopping else "unhealthy",
            "ready": self.ready,
            "database": self.database,
            "shards": {str(shard): "connected" if link.open else "disconnected" for shard, link in self.shards.items()},
        }


def gateway_links(bot: discord.Client) -> dict[int, Link]:
    """Every shard this process runs, with whether its connection is open (one entry for an unsharded bot)."""
    if bot.is_closed():
        return {}
    if isinstance(bot, discord.AutoShardedClient):
        return {shard_id: Link(not info.is_closed(), info.latency) for shard_id, info in sorted(bot.shards.items())}
    ws = bot.ws
    if ws is None:
        return {}
    return {bot.shard_id or 0: Link(ws.open, ws.latency)}


async def database_answers(bot: CircleBot) -> bool:
    if not bot.db_open:
        return False
    try:
        await asyncio.wait_for(bot.db.schema_version(), DATABASE_TIMEOUT_SECONDS)
    except Exception as exc:  # closed, locked past the timeout, disk gone: all mean "not answering"
        log.debug("health: the database did not answer (%r)", exc)
        return False
    return True


async def health_of(bot: CircleBot) -> Health:
    return Health(
        ready=bot.is_ready() and not bot.is_closed(),
        database=await database_answers(bot),
        shards=gateway_links(bot),
        stopping=bot.scheduler.stopping,
    )


# Prometheus' text format --------------------------------------------------------------------------------------


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


class _Text:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self.lines.append(f"# HELP {PREFIX}{name} {help_}")
        self.lines.append(f"# TYPE {PREFIX}{name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{PREFIX}{name}{_labels(labels)} {_number(value)}")

    def render(self) -> str:
        return "\n".join(self.lines) + "\n"


async def metrics_text(bot: CircleBot, metrics: Metrics, health: Health) -> str:
    """Everything `/metrics` shows, in Prometheus' text exposition format (version 0.0.4)."""
    out = _Text()
    out.metric(
        "up",
        "gauge",
        "1 when /healthz says healthy: every shard connected, ready, database answering.",
        [({}, float(health.ok))],
    )
    out.metric("ready", "gauge", "1 once the bot has received every server it is in.", [({}, float(health.ready))])
    out.metric("database_up", "gauge", "1 when the database answers.", [({}, float(health.database))])
    shards = sorted(health.shards.items())
    out.metric(
        "gateway_connected",
        "gauge",
        "1 when the shard's gateway connection is open.",
        [({"shard": str(shard)}, float(link.open)) for shard, link in shards],
    )
    out.metric(
        "gateway_latency_seconds",
        "gauge",
        "Time between the shard's last heartbeat and its acknowledgement.",
        [({"shard": str(shard)}, link.latency) for shard, link in shards],
    )
    guilds: Counter[int] = Counter(guild.shard_id for guild in bot.guilds)
    out.metric(
        "guilds",
        "gauge",
        "Servers the shard has received.",
        [({"shard": str(shard)}, float(guilds.get(shard, 0))) for shard, _ in shards],
    )
    out.metric(
        "rest_requests_total",
        "counter",
        'REST calls to Discord by method and HTTP status ("error": no answer came).',
        [({"method": m, "status": s}, float(n)) for (m, s), n in sorted(metrics.rest_requests.items())],
    )
    out.metric(
        "rest_rate_limited_total",
        "counter",
        "429 answers from Discord, by its X-RateLimit-Scope (user, global, shared).",
        [({"scope": scope}, float(n)) for scope, n in sorted(metrics.rate_limited.items())],
    )
    pacer = bot.pacer
    out.metric(
        "rest_paced_waits_total",
        "counter",
        "REST calls that waited for the bot's own budget under Discord's global limit (bot/pacing.py).",
        [({}, float(pacer.waited_calls))],
    )
    out.metric(
        "rest_pacing_wait_seconds_total",
        "counter",
        "Seconds REST calls spent waiting for that budget, all together.",
        [({}, pacer.total_wait)],
    )
    out.metric(
        "rest_pacing_longest_wait_seconds",
        "gauge",
        "The longest any one REST call has waited for that budget.",
        [({}, pacer.longest_wait)],
    )
    if health.database:
        out.metric(
            "active_circles",
            "gauge",
            "Circles open or running now.",
            [({}, float(len(await bot.store.circles.active())))],
        )
    out.metric(
        "scheduled_jobs",
        "gauge",
        "Timers armed: circle turns, series, prompt schedules.",
        [({}, float(len(bot.scheduler.job_ids())))],
    )
    out.metric(
        "timer_lag_seconds",
        "gauge",
        "How late a one-second timer on the event loop woke, worst of the last minute (the scheduler's timers "
        "wake on the same loop).",
        [({}, max(metrics.lags, default=0.0))],
    )
    out.metric(
        "messages_screened_total",
        "counter",
        "Messages the crisis screen read (a count only: no text, no id).",
        [({}, float(metrics.messages_screened))],
    )
    return out.render()


# The server ---------------------------------------------------------------------------------------------------


class HealthServer:
    """`/healthz` and `/metrics` on aiohttp, for as long as the bot runs."""

    def __init__(self, bot: CircleBot, metrics: Metrics, *, host: str, port: int) -> None:
        self.bot = bot
        self.metrics = metrics
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._probe: asyncio.Task[None] | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        # No access log: a health check every few seconds would drown the bot's own log.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        if self.port == 0:  # tests: the port the system chose
            self.port = int(runner.addresses[0][1])
        self._probe = asyncio.create_task(self._measure_lag(), name="health: timer probe")
        log.info("health endpoint on http://%s:%s/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
            self._probe = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _measure_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(PROBE_SECONDS)
            self.metrics.lags.append(max(0.0, loop.time() - before - PROBE_SECONDS))

    async def _healthz(self, _request: web.Request) -> web.Response:
        health = await health_of(self.bot)
        return web.Response(
            body=json.dumps(health.as_json()).encode(),
            status=200 if health.ok else 503,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def _metrics(self, _request: web.Request) -> web.Response:
        health = await health_of(self.bot)
        text = await metrics_text(self.bot, self.metrics, health)
        return web.Response(
            body=text.encode(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store"},
        )
