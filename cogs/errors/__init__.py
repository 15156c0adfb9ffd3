"""One place that answers failures of slash commands; buttons and menus go through `bot.replies.guard`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.replies import report_error

if TYPE_CHECKING:
    from bot.app import CircleBot


async def _on_tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    await report_error(interaction, error)


async def setup(bot: CircleBot) -> None:
    bot.tree.error(_on_tree_error)


async def teardown(bot: CircleBot) -> None:
    bot.tree.on_error = app_commands.CommandTree.on_error.__get__(bot.tree)  # type: ignore[method-assign]
