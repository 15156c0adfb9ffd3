"""Attendance events: who joined, left, took or passed a turn, per circle. Never what anyone said.

A member who turned tracking off (`/privacy tracking off`, table `attendance_prefs`) gets no new rows: the write
path (`record_statement`) drops their events, using an in-memory set of opted-out members that
`cogs.streaks` loads at start-up and keeps in step. The circle itself runs exactly the same for them: nothing it
needs while it runs is read back from these rows (who left the circle is part of the circle's own state).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.db.database import Statement
from bot.db.repos._time import to_db
from bot.domain.streaks import SessionRecord

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


class MemberSession(NamedTuple):
    """One ended circle a member has any attendance event in, summed up by the database (for a history)."""

    circle_id: int
    channel_id: int
    opened_at: datetime
    started: bool
    """Whether the circle got past gathering (False: it ended before it started, a facilitator cancelled it)."""
    first_join_round: int | None
    """The round they first joined in (0: before the start); None: no join recorded."""
    left_round: int | None
    """The round they left in, if they left and did not come back."""
    turns_taken: int
    turns_passed: int
    turns_skipped: int


@dataclass(frozen=True, slots=True)
class SessionListing:
    """An ended circle, for a facilitator to pick: when, where, and how many took part."""

    circle_id: int
    channel_id: int
    opened_at: datetime
    took_part: int


class AttendanceRepo:
    def __init__(self, db: Database) -> None:
        self._db = db
        # (guild_id, user_id) of members who turned tracking off; loaded by cogs.streaks at start-up.
        self._opted_out: set[tuple[int, int]] = set()

    # Opting out ---------------------------------------------------------------------------------------------

    def load_opted_out(self, members: Iterable[tuple[int, int]]) -> None:
        """Replace the set of `(guild_id, user_id)` whose attendance is not recorded."""
        self._opted_out = set(members)

    def set_opted_out(self, guild_id: int, user_id: int, opted_out: bool) -> None:
        if opted_out:
            self._opted_out.add((guild_id, user_id))
        else:
            self._opted_out.discard((guild_id, user_id))

    def is_opted_out(self, guild_id: int, user_id: int) -> bool:
        return (guild_id, user_id) in self._opted_out

    def record_statement(self, guild_id: int, events: Iterable[AttendanceEvent]) -> Statement | None:
        """The write that records `events`, for a `Database.batch`; None when there are none.

        Events of members who turned tracking off are not written.
        """
        opted_out = self._opted_out
        rows = [
            (e.circle_id, guild_id, e.user_id, e.kind, e.round, to_db(e.at))
            for e in events
            if (guild_id, e.user_id) not in opted_out
        ]
        if not rows:
            return None
        return Statement(
            "INSERT INTO attendance_events (circle_id, guild_id, user_id, kind, round, at) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
            many=True,
        )

    async def record_many(self, guild_id: int, events: Iterable[AttendanceEvent]) -> None:
        statement = self.record_statement(guild_id, events)
        if statement is not None:
            await self._db.batch([statement])

    async def for_circle(self, circle_id: int) -> list[AttendanceEvent]:
        rows = await self._db.fetchall(
            "SELECT circle_id, user_id, kind, round, at FROM attendance_events WHERE circle_id = ? ORDER BY id",
            (circle_id,),
        )
        return [
            AttendanceEvent(r["circle_id"], r["user_id"], r["kind"], r["round"], datetime.fromisoformat(r["at"]))
            for r in rows
        ]

    # Streaks and summaries ----------------------------------------------------------------------------------

    async def member_sessions(self, guild_id: int, user_id: int) -> list[MemberSession]:
        """Every ended circle of the server the member has an event in, oldest first, summed up per circle.

        One pass over the member's own index range (`attendance_member_circles`). Whether they came is not here:
        that is decided once per circle (`attended_sessions`).
        """
        rows = await self._db.fetchall(
            """
            WITH mine AS (
                SELECT circle_id,
                       sum(kind = 'took_turn') AS taken,
                       sum(kind = 'passed') AS passed,
                       sum(kind = 'skipped') AS skipped,
                       min(CASE WHEN kind = 'joined' THEN round END) AS first_join_round,
                       -- The last join or leave, as id * 16 + round * 2 + (1 if a leave).
                       max(CASE WHEN kind IN ('joined', 'left') THEN id * 16 + round * 2 + (kind = 'left') END) AS moved
                FROM attendance_events
                WHERE guild_id = ?1 AND user_id = ?2
                GROUP BY circle_id
            )
            SELECT m.circle_id, c.channel_id, c.created_at,
                   CASE WHEN m.taken + m.passed > 0 THEN 1 ELSE json_extract(c.state, '$.round') > 0 END AS started,
                   m.first_join_round,
                   CASE WHEN m.moved % 2 = 1 THEN (m.moved % 16) / 2 END AS left_round,
                   m.taken, m.passed, m.skipped
            FROM mine m JOIN circles c ON c.id = m.circle_id
            WHERE c.status = 'ended'
            ORDER BY c.created_at, c.id
            """,
            (guild_id, user_id),
        )
        fromiso = datetime.fromisoformat
        return [MemberSession(r[0], r[1], fromiso(r[2]), bool(r[3]), r[4], r[5], r[6], r[7], r[8]) for r in rows]

    # Who came, decided once per circle ---------------------------------------------------------------------

    async def circles_to_sum(self, guild_id: int | None = None) -> list[int]:
        """Ended circles whose attendance has not been summed up yet (in one server, or everywhere)."""
        if guild_id is None:
            rows = await self._db.fetchall(
                "SELECT id FROM circles WHERE status = 'ended' AND attendance_summed = 0 ORDER BY id"
            )
        else:
            rows = await self._db.fetchall(
                "SELECT id FROM circles WHERE guild_id = ? AND status = 'ended' AND attendance_summed = 0 ORDER BY id",
                (guild_id,),
            )
        return [r["id"] for r in rows]

    async def save_attended(self, circle_id: int, guild_id: int, opened_at: datetime, user_ids: Iterable[int]) -> None:
        """Record who came to an ended circle, and that it has been summed up: one transaction."""
        opened = to_db(opened_at)
        rows = [(guild_id, user_id, circle_id, opened) for user_id in user_ids]
        async with self._db.transaction():
            if rows:
                await self._db.executemany(
                    "INSERT OR IGNORE INTO attended_sessions (guild_id, user_id, circle_id, opened_at) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
            await self._db.execute("UPDATE circles SET attendance_summed = 1 WHERE id = ?", (circle_id,))

    async def attended(self, guild_id: int, user_id: int) -> list[tuple[int, datetime]]:
        """`(circle_id, opened_at)` of every circle the member came to in this server, in no particular order."""
        rows = await self._db.fetchall(
            "SELECT circle_id, opened_at FROM attended_sessions WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        fromiso = datetime.fromisoformat
        return [(r[0], fromiso(r[1])) for r in rows]

    async def streak_sessions(self, guild_id: int, user_id: int) -> tuple[list[SessionRecord], frozenset[int]]:
        """The sessions a member's streaks are walked over, and which of them they came to: one query.

        Every circle they came to (with its series), and, for each recurring series they came to, its other
        sessions from the first one they came to on: ended circles they missed, circles called off before they
        started, and sessions that never had a circle (skipped by a facilitator, missed while the bot was down,
        cancelled with the series). Those last have no id of their own: they get ids below zero. Weeks with no
        session of these are asked about separately (`weeks_held`).
        """
        rows = await self._db.fetchall(
            """
            WITH went AS MATERIALIZED (
                SELECT a.circle_id, a.opened_at, c.series_id
                FROM attended_sessions a LEFT JOIN circles c ON c.id = a.circle_id
                WHERE a.guild_id = ?1 AND a.user_id = ?2
            ),
            firsts AS (
                SELECT series_id, min(opened_at) AS since FROM went WHERE series_id IS NOT NULL GROUP BY series_id
            )
            -- how: 0 came, 1 held and missed, 2 called off or skipped, 3 missed by the bot.
            SELECT circle_id, series_id, opened_at, 0 AS how FROM went
            UNION ALL
            SELECT c.id, c.series_id, c.created_at, CASE WHEN json_extract(c.state, '$.round') > 0 THEN 1 ELSE 2 END
            FROM firsts f JOIN circles c ON c.series_id = f.series_id
            WHERE c.status = 'ended' AND c.created_at >= f.since
              AND c.id NOT IN (SELECT circle_id FROM went)
            UNION ALL
            SELECT NULL, s.series_id, s.starts_at, CASE s.status WHEN 'missed_by_bot' THEN 3 ELSE 2 END
            FROM firsts f JOIN series_sessions s ON s.series_id = f.series_id
            WHERE s.starts_at >= f.since AND s.status IN ('skipped', 'missed_by_bot', 'cancelled')
            """,
            (guild_id, user_id),
        )
        fromiso = datetime.fromisoformat
        records: list[SessionRecord] = []
        came: set[int] = set()
        no_circle = 0
        for circle_id, series_id, at, how in rows:
            if how == 0:
                came.add(circle_id)
            elif circle_id is None:
                no_circle -= 1
                circle_id = no_circle
            records.append(SessionRecord(circle_id, series_id, fromiso(at), how == 2, how == 3))
        return records, frozenset(came)

    async def attended_count(self, guild_id: int, user_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM attended_sessions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return int(row[0]) if row else 0

    async def weeks_held(self, guild_id: int, weeks: Sequence[tuple[datetime, datetime]]) -> set[int]:
        """Which of `weeks` (start inclusive, end exclusive) had a circle of the server that started and ended.

        Returns their positions in `weeks`. One index probe per week (`circles_held`), whatever the server's size.
        """
        if not weeks:
            return set()
        bounds = json.dumps([[to_db(start), to_db(end)] for start, end in weeks])
        rows = await self._db.fetchall(
            """
            SELECT CAST(w.key AS INTEGER) AS position FROM json_each(?1) AS w
            WHERE EXISTS (
                SELECT 1 FROM circles c
                WHERE c.guild_id = ?2 AND c.status = 'ended'
                  AND c.created_at >= json_extract(w.value, '$[0]') AND c.created_at < json_extract(w.value, '$[1]')
                  AND json_extract(c.state, '$.round') > 0
            )
            """,
            (bounds, guild_id),
        )
        return {r["position"] for r in rows}

    async def recent_sessions(
        self, guild_id: int, *, channel_id: int | None = None, limit: int = 25
    ) -> list[SessionListing]:
        """The server's (or one channel's) most recently opened circles that have ended, newest first."""
        where = "c.guild_id = ? AND c.status = 'ended'" + (" AND c.channel_id = ?" if channel_id is not None else "")
        params: tuple[Any, ...] = (guild_id, channel_id, limit) if channel_id is not None else (guild_id, limit)
        rows = await self._db.fetchall(
            f"""
            SELECT c.id, c.channel_id, c.created_at,
                   (SELECT count(DISTINCT e.user_id) FROM attendance_events e
                    WHERE e.circle_id = c.id AND e.kind IN ('took_turn', 'passed')) AS took_part
            FROM circles c WHERE {where}
            ORDER BY c.created_at DESC, c.id DESC LIMIT ?
            """,
            params,
        )
        return [
            SessionListing(r["id"], r["channel_id"], datetime.fromisoformat(r["created_at"]), r["took_part"])
            for r in rows
        ]

    async def opened_at(self, circle_id: int) -> datetime | None:
        """When a circle was opened: the moment that places it in a week."""
        row = await self._db.fetchone("SELECT created_at FROM circles WHERE id = ?", (circle_id,))
        return datetime.fromisoformat(row["created_at"]) if row else None

    # Privacy ------------------------------------------------------------------------------------------------

    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The member's attendance events in this server and the circles they came to; never what was said."""
        rows = await self._db.fetchall(
            "SELECT circle_id, guild_id, user_id, kind, round, at FROM attendance_events "
            "WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        came = await self._db.fetchall(
            "SELECT circle_id, guild_id, user_id, opened_at FROM attended_sessions WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return {"attendance_events": [dict(r) for r in rows], "attended_sessions": [dict(r) for r in came]}

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Delete every attendance event of the member in this server, and the circles they came to; return how many.

        A circle still running is not affected: whether they left is in its own state.
        """
        async with self._db.transaction():
            deleted = await self._db.execute_rowcount(
                "DELETE FROM attendance_events WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            deleted += await self._db.execute_rowcount(
                "DELETE FROM attended_sessions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        return deleted
