"""Attendance events: who joined, left, took or passed a turn, per circle. Never what anyone said."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.db.repos._time import to_db

if TYPE_CHECKING:
    from bot.db.database import Database

KINDS = frozenset({"joined", "left", "took_turn", "passed", "skipped"})


@dataclass(frozen=True, slots=True)
class AttendanceEvent:
    circle_id: int
    user_id: int
    kind: str
    round: int
    at: datetime


class AttendanceRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_many(self, guild_id: int, events: Iterable[AttendanceEvent]) -> None:
        rows = [(e.circle_id, guild_id, e.user_id, e.kind, e.round, to_db(e.at)) for e in events]
        if rows:
            await self._db.executemany(
                "INSERT INTO attendance_events (circle_id, guild_id, user_id, kind, round, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    async def for_circle(self, circle_id: int) -> list[AttendanceEvent]:
        rows = await self._db.fetchall(
            "SELECT circle_id, user_id, kind, round, at FROM attendance_events WHERE circle_id = ? ORDER BY id",
            (circle_id,),
        )
        return [
            AttendanceEvent(r["circle_id"], r["user_id"], r["kind"], r["round"], datetime.fromisoformat(r["at"]))
            for r in rows
        ]
