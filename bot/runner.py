"""The one way the bot runs for real: `python -m bot run` calls `serve`, and so does the loopback test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.app import CircleBot, create_bot
from bot.settings import Settings


async def serve(settings: Settings, *, on_built: Callable[[CircleBot], None] | None = None, **options: Any) -> None:
    """Build the bot, connect, and run until it is closed. Closing waits for jobs and closes the database."""
    if settings.discord_token is None:
        raise ValueError("serve() needs a token")
    options.setdefault("freeze_memory", True)
    bot = create_bot(settings, **options)
    if on_built is not None:
        on_built(bot)
    async with bot:
        await bot.start(settings.discord_token.get_secret_value())
