"""Reflective prompts: `/prompt ...`, the prompt that opens each circle round, and scheduled prompt posts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.prompts import load_decks
from cogs.prompts.commands import PromptCog
from cogs.prompts.service import PROMPTS_DIR, PromptService

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    # A broken deck stops the start with a DataFileError naming the file (`python -m bot check` says the same).
    service = PromptService(bot, load_decks(PROMPTS_DIR), bot.rng)
    bot.features.prompts = service
    await bot.add_cog(PromptCog(bot, service))
