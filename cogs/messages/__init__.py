"""The one message path: every new message goes through `cogs/messages/pipeline.py`, in one defined order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.messages.pipeline import MessagesCog

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    await bot.add_cog(MessagesCog(bot))
