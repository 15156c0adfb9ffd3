"""Talking-stick circles: `/circle ...`, the card's buttons, timers, gentle reminders and restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.circles.card import CircleButton, ListenerSelect
from cogs.circles.commands import CircleCog

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    bot.add_dynamic_items(CircleButton, ListenerSelect)
    cog = CircleCog(bot)
    bot.features.circles = cog.service
    await bot.add_cog(cog)


async def teardown(bot: CircleBot) -> None:
    bot.remove_dynamic_items(CircleButton, ListenerSelect)
