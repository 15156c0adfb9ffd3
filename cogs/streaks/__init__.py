"""Attendance and forgiving streaks: `/streak` and `/attendance ...` (`/privacy` is its own feature, cogs/privacy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.streaks.attendance import AttendanceCog
from cogs.streaks.service import sum_up_pending
from cogs.streaks.streak import StreakCog

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    # Before any circle is restored (on_ready): members who turned tracking off get no attendance rows.
    await bot.store.members.load_opted_out()
    # Circles that ended while the bot was down (or before this feature): decide who came, once.
    await sum_up_pending(bot.store)
    await bot.add_cog(StreakCog(bot))
    await bot.add_cog(AttendanceCog(bot))
