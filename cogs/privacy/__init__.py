"""Members in charge of their data: `/privacy ...` (see, export, delete; attendance tracking and celebrate choices).

What one member's data is, across every table, lives in `bot/db/privacy.py`; this feature only asks and answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.privacy.commands import PrivacyCog

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
