"""Circles, the overwrites the bot changed for them, and gentle-mode reminder times."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.db.repos._time import from_db, to_db

if TYPE_CHECKING:
    import aiosqlite

    from bot.db.database import Database


class ActiveCircleExists(Exception):
    """The channel already has a circle that has not ended."""


@dataclass(frozen=True, slots=True)
class CircleRow:
    id: int
    guild_id: int
    channel_id: int
    channel_kind: str
    status: str
    state: dict[str, Any]
    card_message_id: int | None
    facilitator_user_id: int | None
    next_deadline: datetime | None


@dataclass(frozen=True, slots=True)
class OverwriteRecord:
    channel_id: int
    role_id: int | None
    user_id: int | None
    existed: bool
    allow: int
    deny: int

    @property
    def target_id(self) -> int:
        return self.role_id if self.role_id is not None else self.user_id  # type: ignore[return-value]


_COLUMNS = "id, guild_id, channel_id, channel_kind, status, state, card_message_id, facilitator_user_id, next_deadline"


def _row(row: aiosqlite.Row) -> CircleRow:
    return CircleRow(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        channel_kind=row["channel_kind"],
        status=row["status"],
        state=json.loads(row["state"]),
        card_message_id=row["card_message_id"],
        facilitator_user_id=row["facilitator_user_id"],
        next_deadline=from_db(row["next_deadline"]),
    )


def _dump(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"))


class CircleRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        guild_id: int,
        channel_id: int,
        channel_kind: str,
        status: str,
        state: dict[str, Any],
        facilitator_user_id: int | None,
        now: datetime,
    ) -> int:
        try:
            return await self._db.execute(
                "INSERT INTO circles (guild_id, channel_id, channel_kind, status, state, facilitator_user_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, channel_kind, status, _dump(state), facilitator_user_id, to_db(now)),
            )
        except sqlite3.IntegrityError as exc:
            raise ActiveCircleExists from exc

    async def get(self, circle_id: int) -> CircleRow | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM circles WHERE id = ?", (circle_id,))
        return _row(row) if row else None

    async def active_in_channel(self, channel_id: int) -> CircleRow | None:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM circles WHERE channel_id = ? AND status != 'ended'", (channel_id,)
        )
        return _row(row) if row else None

    async def active(self) -> list[CircleRow]:
        rows = await self._db.fetchall(f"SELECT {_COLUMNS} FROM circles WHERE status != 'ended' ORDER BY id")
        return [_row(r) for r in rows]

    async def save(
        self,
        circle_id: int,
        *,
        status: str,
        state: dict[str, Any],
        next_deadline: datetime | None,
        ended_at: datetime | None = None,
    ) -> None:
        await self._db.execute(
            "UPDATE circles SET status = ?, state = ?, next_deadline = ?, ended_at = coalesce(?, ended_at) "
            "WHERE id = ?",
            (status, _dump(state), to_db(next_deadline), to_db(ended_at), circle_id),
        )

    async def ended_with_overwrites(self) -> list[CircleRow]:
        """Ended circles whose overwrites were not all put back (the bot stopped mid-restore)."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM circles WHERE status = 'ended' AND id IN (SELECT circle_id FROM circle_overwrites)"
        )
        return [_row(r) for r in rows]

    async def set_card(self, circle_id: int, message_id: int) -> None:
        await self._db.execute("UPDATE circles SET card_message_id = ? WHERE id = ?", (message_id, circle_id))

    # Overwrites ---------------------------------------------------------------------------------------------

    async def remember_overwrite(
        self,
        circle_id: int,
        channel_id: int,
        *,
        role_id: int | None = None,
        user_id: int | None = None,
        existed: bool,
        allow: int,
        deny: int,
    ) -> bool:
        """Record a target's overwrite as it was before the bot first touched it. Returns False if known."""
        count = await self._db.execute_rowcount(
            "INSERT OR IGNORE INTO circle_overwrites (circle_id, channel_id, role_id, user_id, existed, allow, deny) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (circle_id, channel_id, role_id, user_id, int(existed), allow, deny),
        )
        return count > 0

    async def overwrites(self, circle_id: int) -> list[OverwriteRecord]:
        rows = await self._db.fetchall(
            "SELECT channel_id, role_id, user_id, existed, allow, deny FROM circle_overwrites WHERE circle_id = ? "
            "ORDER BY user_id IS NOT NULL, coalesce(role_id, user_id)",
            (circle_id,),
        )
        return [
            OverwriteRecord(r["channel_id"], r["role_id"], r["user_id"], bool(r["existed"]), r["allow"], r["deny"])
            for r in rows
        ]

    async def forget_overwrite(self, circle_id: int, target_id: int) -> None:
        await self._db.execute(
            "DELETE FROM circle_overwrites WHERE circle_id = ? AND (role_id = ? OR user_id = ?)",
            (circle_id, target_id, target_id),
        )

    # Gentle reminders ---------------------------------------------------------------------------------------

    async def last_reminder(self, circle_id: int, user_id: int) -> datetime | None:
        row = await self._db.fetchone(
            "SELECT last_at FROM gentle_reminders WHERE circle_id = ? AND user_id = ?", (circle_id, user_id)
        )
        return from_db(row["last_at"]) if row else None

    async def set_reminder(self, circle_id: int, user_id: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO gentle_reminders (circle_id, user_id, last_at) VALUES (?, ?, ?) "
            "ON CONFLICT (circle_id, user_id) DO UPDATE SET last_at = excluded.last_at",
            (circle_id, user_id, to_db(now)),
        )
