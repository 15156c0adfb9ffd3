"""Crisis care: the private check-in, facilitator alerts and `/resources ...`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.crisis.buttons import CheckInButton, ReachOutButton
from cogs.crisis.commands import ResourcesCog
from cogs.crisis.settings import CrisisSetters

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    bot.add_dynamic_items(CheckInButton, ReachOutButton)
    cog = ResourcesCog(bot)
    bot.features.crisis = cog.care
    bot.features.crisis_settings = CrisisSetters(bot)
    await bot.add_cog(cog)


async def teardown(bot: CircleBot) -> None:
    bot.remove_dynamic_items(CheckInButton, ReachOutButton)
