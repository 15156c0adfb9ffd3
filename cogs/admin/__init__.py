"""Server settings: `/config ...` (admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.admin.config import ConfigCog

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    await bot.add_cog(ConfigCog(bot))
