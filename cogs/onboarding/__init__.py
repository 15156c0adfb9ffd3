"""Onboarding and help: the welcome, `/setup` and `/help`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.onboarding.help import HelpCog
from cogs.onboarding.setup import SetupCog

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    await bot.add_cog(HelpCog(bot))
    await bot.add_cog(SetupCog(bot))
