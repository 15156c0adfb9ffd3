"""The one way the bot runs for real: `python -m bot run` calls `serve`, and so does the loopback test.

Stopping: SIGTERM (`systemctl stop`, `docker stop`) and SIGINT (Ctrl-C) both start a clean stop, `CircleBot.close`:
no timer fires any more, work under way gets a bounded time to finish while Discord is still connected, then the
connection and the database close and `serve` returns (exit status 0). A second signal cuts the waiting short.
A signal before the bot is ready (still logging in, migrating, loading) stops it at once: nothing is under way yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

from bot.app import CircleBot, create_bot
from bot.health import CountingScreen, HealthServer, Metrics
from bot.settings import Settings

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def serve(settings: Settings, *, on_built: Callable[[CircleBot], None] | None = None, **options: Any) -> None:
    """Build the bot, connect, and run until it is closed or signalled. Closing waits for work under way."""
    if settings.discord_token is None:
        raise ValueError("serve() needs a token")
    options.setdefault("freeze_memory", True)
    metrics = Metrics() if settings.health_port is not None else None
    if metrics is not None:
        options.setdefault("http_trace", metrics.trace_config())
    bot = create_bot(settings, **options)
    health: HealthServer | None = None
    if metrics is not None and settings.health_port is not None:
        bot.screen = CountingScreen(bot.screen, metrics)
        health = HealthServer(bot, metrics, host=settings.health_host, port=settings.health_port)
        try:
            await health.start()
        except OSError as exc:
            print(
                f"The health endpoint cannot listen on {settings.health_host}:{settings.health_port} ({exc.strerror}). "
                "Choose another HEALTH_PORT, or leave it empty to turn the endpoint off.",
                file=sys.stderr,
            )
            raise SystemExit(2) from None
    if on_built is not None:
        on_built(bot)
    stop = asyncio.Event()
    try:
        with _stop_on_signals(stop, bot):
            async with bot:
                running = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()), name="bot: run")
                signalled = asyncio.create_task(stop.wait(), name="bot: wait for a stop signal")
                await asyncio.wait({running, signalled}, return_when=asyncio.FIRST_COMPLETED)
                signalled.cancel()
                if not running.done():
                    if bot.is_ready():
                        log.info("stopping: a stop signal came; closing cleanly")
                        await bot.close()
                    else:
                        log.info("stopping: a stop signal came before the bot was ready")
                        running.cancel()
                await asyncio.wait({running})
                if not running.cancelled():
                    running.result()  # what stopped the bot, if it was not asked to (a refused token)
        log.info("stopped cleanly")
    finally:
        if health is not None:
            await health.stop()


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event, bot: CircleBot) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop`; a second one tells the bot to stop waiting for work under way."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal(signum: signal.Signals) -> None:
        if stop.is_set():
            log.info("stopping: %s again; not waiting for work under way", signum.name)
            bot.scheduler.hurry()
            return
        log.info("stopping: %s received", signum.name)
        stop.set()

    for signum in STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, on_signal, signum)
        except (NotImplementedError, RuntimeError, ValueError):
            # Windows, or not the main thread: Ctrl-C ends the bot through KeyboardInterrupt instead.
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
