"""A member's own choices about attendance in one server, and the milestones already acknowledged.

No row means the defaults: tracking on, celebrate off (milestones as a private note), nothing acknowledged yet.
The set of members who turned tracking off is mirrored in `AttendanceRepo` (the write path reads it for every
attendance row); every change here keeps that mirror in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.db.repos._time import to_db

if TYPE_CHECKING:
    from bot.db.database import Database
    from bot.db.repos.attendance import AttendanceRepo


@dataclass(frozen=True, slots=True)
class AttendancePrefs:
    guild_id: int
    user_id: int
    tracking: bool = True
    celebrate: bool = False
    milestone: int = 0
    """The highest milestone (sessions attended) already acknowledged; 0: none yet."""


class MemberPrefsRepo:
    def __init__(self, db: Database, attendance: AttendanceRepo) -> None:
        self._db = db
        self._attendance = attendance

    async def get(self, guild_id: int, user_id: int) -> AttendancePrefs:
        row = await self._db.fetchone(
            "SELECT tracking, celebrate, milestone FROM attendance_prefs WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if row is None:
            return AttendancePrefs(guild_id, user_id)
        return AttendancePrefs(guild_id, user_id, bool(row["tracking"]), bool(row["celebrate"]), row["milestone"])

    async def _set(self, guild_id: int, user_id: int, column: str, value: int, now: datetime) -> None:
        # `column` is always one of the literal names below, never user input.
        await self._db.execute(
            f"INSERT INTO attendance_prefs (guild_id, user_id, {column}, updated_at) VALUES (?, ?, ?, ?) "
            f"ON CONFLICT (guild_id, user_id) DO UPDATE SET {column} = excluded.{column}, "
            "updated_at = excluded.updated_at",
            (guild_id, user_id, value, to_db(now)),
        )

    async def set_tracking(self, guild_id: int, user_id: int, tracking: bool, now: datetime) -> None:
        await self._set(guild_id, user_id, "tracking", int(tracking), now)
        self._attendance.set_opted_out(guild_id, user_id, not tracking)

    async def set_celebrate(self, guild_id: int, user_id: int, celebrate: bool, now: datetime) -> None:
        await self._set(guild_id, user_id, "celebrate", int(celebrate), now)

    async def acknowledge(self, guild_id: int, user_id: int, milestone: int, now: datetime) -> bool:
        """Record `milestone` as acknowledged; False if it (or a higher one) already was, so none repeats."""
        count = await self._db.execute_rowcount(
            "INSERT INTO attendance_prefs (guild_id, user_id, milestone, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET milestone = excluded.milestone, "
            "updated_at = excluded.updated_at WHERE attendance_prefs.milestone < excluded.milestone",
            (guild_id, user_id, milestone, to_db(now)),
        )
        return count > 0

    async def load_opted_out(self) -> int:
        """Fill the attendance write path's set of members who turned tracking off; return how many."""
        rows = await self._db.fetchall("SELECT guild_id, user_id FROM attendance_prefs WHERE tracking = 0")
        self._attendance.load_opted_out((r["guild_id"], r["user_id"]) for r in rows)
        return len(rows)

    # Privacy ------------------------------------------------------------------------------------------------

    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        rows = await self._db.fetchall(
            "SELECT guild_id, user_id, tracking, celebrate, milestone, updated_at FROM attendance_prefs "
            "WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return {"attendance_prefs": [dict(r) for r in rows]}

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Forget the member's choices here (so tracking is back on, the default); return rows deleted."""
        deleted = await self._db.execute_rowcount(
            "DELETE FROM attendance_prefs WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        self._attendance.set_opted_out(guild_id, user_id, False)
        return deleted
