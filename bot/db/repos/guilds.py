"""Per-server configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.db.repos._memo import TableMemo
from bot.db.repos._time import to_db

if TYPE_CHECKING:
    from bot.db.database import Database


@dataclass(frozen=True, slots=True)
class GuildConfig:
    guild_id: int
    facilitator_role_id: int | None = None
    timezone: str = "UTC"
    default_turn_seconds: int = 180


_CONFIG = "SELECT guild_id, facilitator_role_id, timezone, default_turn_seconds FROM guild_config"


def _config_of(row: Any) -> GuildConfig:
    return GuildConfig(
        guild_id=row["guild_id"],
        facilitator_role_id=row["facilitator_role_id"],
        timezone=row["timezone"],
        default_turn_seconds=row["default_turn_seconds"],
    )


class GuildConfigRepo:
    """Server settings, read by every command's standing check: held in memory, one row per server that changed one."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._memo: TableMemo[int, GuildConfig] = TableMemo(self._all, self._one)

    @property
    def reads(self) -> int:
        return self._memo.reads

    async def _all(self) -> dict[int, GuildConfig]:
        return {row["guild_id"]: _config_of(row) for row in await self._db.fetchall(_CONFIG)}

    async def _one(self, guild_id: int) -> GuildConfig | None:
        row = await self._db.fetchone(f"{_CONFIG} WHERE guild_id = ?", (guild_id,))
        return None if row is None else _config_of(row)

    async def get(self, guild_id: int) -> GuildConfig:
        """The server's settings, or the defaults when it has changed none."""
        return await self._memo.get(guild_id) or GuildConfig(guild_id=guild_id)

    async def _upsert(self, guild_id: int, column: str, value: object, now: datetime) -> None:
        # `column` is always one of the literal names below, never user input.
        try:
            await self._db.execute(
                f"INSERT INTO guild_config (guild_id, {column}, updated_at) VALUES (?, ?, ?) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at",
                (guild_id, value, to_db(now)),
            )
        finally:
            self._memo.stale(guild_id)

    async def set_facilitator_role(self, guild_id: int, role_id: int | None, now: datetime) -> None:
        await self._upsert(guild_id, "facilitator_role_id", role_id, now)

    async def set_timezone(self, guild_id: int, timezone: str, now: datetime) -> None:
        await self._upsert(guild_id, "timezone", timezone, now)

    async def set_default_turn_seconds(self, guild_id: int, seconds: int, now: datetime) -> None:
        await self._upsert(guild_id, "default_turn_seconds", seconds, now)
