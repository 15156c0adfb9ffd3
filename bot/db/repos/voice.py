"""The server mutes and stage speaker changes the bot made for voice and stage circles, and pending unmutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bot.db.repos._time import to_db

if TYPE_CHECKING:
    from bot.db.database import Database

Kind = Literal["mute", "speaker"]


@dataclass(frozen=True, slots=True)
class VoiceChange:
    guild_id: int
    user_id: int
    kind: str
    circle_id: int
    pending: bool


_COLUMNS = "guild_id, user_id, kind, circle_id, pending"


class VoiceRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def made(self, guild_id: int, user_id: int, kind: Kind, circle_id: int, now: datetime) -> None:
        """Record that the bot muted this member (or made them a stage speaker) for this circle."""
        await self._db.execute(
            "INSERT INTO voice_changes (guild_id, user_id, kind, circle_id, pending, at) VALUES (?, ?, ?, ?, 0, ?) "
            "ON CONFLICT (guild_id, user_id, kind) DO UPDATE SET circle_id = excluded.circle_id, pending = 0, "
            "at = excluded.at",
            (guild_id, user_id, kind, circle_id, to_db(now)),
        )

    async def undone(self, guild_id: int, user_id: int, kind: Kind) -> None:
        await self._db.execute(
            "DELETE FROM voice_changes WHERE guild_id = ? AND user_id = ? AND kind = ?", (guild_id, user_id, kind)
        )

    async def mark_pending(self, guild_id: int, user_id: int, kind: Kind) -> None:
        await self._db.execute(
            "UPDATE voice_changes SET pending = 1 WHERE guild_id = ? AND user_id = ? AND kind = ?",
            (guild_id, user_id, kind),
        )

    async def for_circle(self, circle_id: int, kind: Kind) -> dict[int, VoiceChange]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM voice_changes WHERE circle_id = ? AND kind = ?", (circle_id, kind)
        )
        return {r["user_id"]: _change(r) for r in rows}

    async def for_guild(self, guild_id: int, kind: Kind) -> dict[int, VoiceChange]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM voice_changes WHERE guild_id = ? AND kind = ?", (guild_id, kind)
        )
        return {r["user_id"]: _change(r) for r in rows}

    async def for_member(self, guild_id: int, user_id: int) -> list[VoiceChange]:
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM voice_changes WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return [_change(r) for r in rows]

    async def owed_unmute(self, guild_id: int, user_id: int) -> VoiceChange | None:
        """A mute the bot made for a circle that is no longer running, or one already waiting to be lifted."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM voice_changes WHERE guild_id = ? AND user_id = ? AND kind = 'mute' AND "
            "(pending = 1 OR circle_id NOT IN (SELECT id FROM circles WHERE status != 'ended'))",
            (guild_id, user_id),
        )
        return _change(row) if row else None

    async def left_behind(self) -> list[VoiceChange]:
        """Changes still in place for circles that are no longer active (ended, perhaps while the bot was down)."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM voice_changes WHERE pending = 1 OR circle_id NOT IN "
            "(SELECT id FROM circles WHERE status != 'ended') ORDER BY guild_id, user_id"
        )
        return [_change(r) for r in rows]

    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await self._db.fetchall(
            "SELECT guild_id, user_id, kind, circle_id, pending, at FROM voice_changes WHERE guild_id = ? AND "
            "user_id = ?",
            (guild_id, user_id),
        )
        return {"voice_changes": [dict(r) for r in rows]}

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Forget this member's rows, except a server mute the bot made and has not lifted yet.

        That row is the bot's promise to unmute them (a server mute holds in every voice channel); it goes as soon
        as the unmute is made. Deleting it would leave them muted for good.
        """
        return await self._db.execute_rowcount(
            "DELETE FROM voice_changes WHERE guild_id = ? AND user_id = ? AND kind != 'mute'", (guild_id, user_id)
        )


def _change(row: Any) -> VoiceChange:
    return VoiceChange(row["guild_id"], row["user_id"], row["kind"], row["circle_id"], bool(row["pending"]))
