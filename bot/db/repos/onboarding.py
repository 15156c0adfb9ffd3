"""Which servers the bot has welcomed (a server id and a time; nothing about people)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.db.repos._time import to_db

if TYPE_CHECKING:
    from bot.db.database import Database


class OnboardingRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def mark_welcomed(self, guild_id: int, now: datetime) -> bool:
        """Record the welcome; False if this server was welcomed before (so it never gets a second one)."""
        count = await self._db.execute_rowcount(
            "INSERT OR IGNORE INTO welcomed_guilds (guild_id, at) VALUES (?, ?)", (guild_id, to_db(now))
        )
        return count > 0
