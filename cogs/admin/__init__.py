"""Server settings: `/config ...` (admins), and the circles-wide setters `/setup` uses too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.admin.config import ConfigCog
from cogs.admin.settings import ServerSetters

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    setters = ServerSetters(bot)
    bot.features.server_settings = setters
    await bot.add_cog(ConfigCog(bot, setters))
