"""Community guidelines: `/rules`, `/filter`, `/warn`, `/warnings`, `/pardon`, the rules gate and the mod log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.guidelines.filters import FilterCog
from cogs.guidelines.gate import AgreeButton
from cogs.guidelines.moderation import ModerationCog
from cogs.guidelines.rules import RulesCog
from cogs.guidelines.service import GuidelineService
from cogs.guidelines.settings import GuidelineSetters

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    service = GuidelineService(bot)
    bot.features.guidelines = service
    bot.features.guideline_settings = GuidelineSetters(bot, service)
    bot.add_dynamic_items(AgreeButton)
    await bot.add_cog(RulesCog(bot, service))
    await bot.add_cog(FilterCog(bot, service))
    await bot.add_cog(ModerationCog(bot, service))


async def teardown(bot: CircleBot) -> None:
    bot.remove_dynamic_items(AgreeButton)
