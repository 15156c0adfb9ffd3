"""Recurring circles: series, their sessions (and each one's Discord Scheduled Event), reminder opt-ins.

A series row names one person: the facilitator who set it up (`created_by_user_id`); reminder opt-ins name the
members who asked for them. Both take part in export and delete-my-data. Sessions name nobody.

Every "do this once" step (move a series on to its next session, open a session, start it, send its reminders)
is a compare-and-set here, made before the bot acts on Discord, so no step is ever taken twice, also across
restarts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.db.repos._time import from_db, to_db
from bot.domain.circle import CircleSettings
from bot.domain.recurrence import Recurrence

# A session's statuses are the domain's words (bot/domain/series.py); the table stores them as they are.
from bot.domain.series import CANCELLED as CANCELLED
from bot.domain.series import DONE_WITHOUT_CIRCLE as DONE_WITHOUT_CIRCLE
from bot.domain.series import MISSED_BY_BOT as MISSED_BY_BOT
from bot.domain.series import OPENED as OPENED
from bot.domain.series import PLANNED as PLANNED
from bot.domain.series import SKIPPED as SKIPPED

if TYPE_CHECKING:
    import aiosqlite

    from bot.db.database import Database

# Discord's scheduled event statuses.
EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_COMPLETED, EVENT_CANCELLED = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Series:
    id: int
    guild_id: int
    channel_id: int
    name: str
    recurrence: Recurrence
    settings: CircleSettings
    duration_minutes: int
    auto_start: bool
    open_minutes_before: int
    next_session: datetime
    created_by_user_id: int | None
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Session:
    series_id: int
    guild_id: int
    starts_at: datetime
    status: str
    event_id: int | None
    event_status: int | None
    circle_id: int | None
    reminded: bool
    started: bool


_SERIES_COLUMNS = (
    "id, guild_id, channel_id, name, recurrence, settings, duration_minutes, auto_start, open_minutes_before, "
    "next_session, created_by_user_id, created_at, ended_at"
)
_SESSION_COLUMNS = "series_id, guild_id, starts_at, status, event_id, event_status, circle_id, reminded, started"


def _moment(text: str) -> datetime:
    moment = from_db(text)
    assert moment is not None
    return moment


def _series(row: aiosqlite.Row) -> Series:
    return Series(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        name=row["name"],
        recurrence=Recurrence.from_json(row["recurrence"]),
        settings=CircleSettings.from_json(json.loads(row["settings"])),
        duration_minutes=row["duration_minutes"],
        auto_start=bool(row["auto_start"]),
        open_minutes_before=row["open_minutes_before"],
        next_session=_moment(row["next_session"]),
        created_by_user_id=row["created_by_user_id"],
        created_at=_moment(row["created_at"]),
        ended_at=from_db(row["ended_at"]),
    )


def _session(row: aiosqlite.Row) -> Session:
    return Session(
        series_id=row["series_id"],
        guild_id=row["guild_id"],
        starts_at=_moment(row["starts_at"]),
        status=row["status"],
        event_id=row["event_id"],
        event_status=row["event_status"],
        circle_id=row["circle_id"],
        reminded=bool(row["reminded"]),
        started=bool(row["started"]),
    )


class SeriesRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Series -------------------------------------------------------------------------------------------------

    async def add(
        self,
        *,
        guild_id: int,
        channel_id: int,
        name: str,
        recurrence: Recurrence,
        settings: CircleSettings,
        duration_minutes: int,
        auto_start: bool,
        open_minutes_before: int,
        next_session: datetime,
        created_by_user_id: int | None,
        now: datetime,
    ) -> int:
        return await self._db.execute(
            "INSERT INTO circle_series (guild_id, channel_id, name, recurrence, settings, duration_minutes, "
            "auto_start, open_minutes_before, next_session, created_by_user_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                channel_id,
                name,
                recurrence.to_json(),
                json.dumps(settings.to_json(), separators=(",", ":")),
                duration_minutes,
                int(auto_start),
                open_minutes_before,
                to_db(next_session),
                created_by_user_id,
                to_db(now),
            ),
        )

    async def get(self, series_id: int) -> Series | None:
        row = await self._db.fetchone(f"SELECT {_SERIES_COLUMNS} FROM circle_series WHERE id = ?", (series_id,))
        return _series(row) if row else None

    async def name(self, series_id: int) -> str | None:
        """Just a series' name (also of one that ended), for `/streak`."""
        row = await self._db.fetchone("SELECT name FROM circle_series WHERE id = ?", (series_id,))
        return str(row["name"]) if row else None

    async def active(self, guild_id: int | None = None) -> list[Series]:
        """A server's series that have not ended (or every server's, for start-up), oldest first."""
        if guild_id is None:
            rows = await self._db.fetchall(
                f"SELECT {_SERIES_COLUMNS} FROM circle_series WHERE ended_at IS NULL ORDER BY id"
            )
        else:
            rows = await self._db.fetchall(
                f"SELECT {_SERIES_COLUMNS} FROM circle_series WHERE ended_at IS NULL AND guild_id = ? ORDER BY id",
                (guild_id,),
            )
        return [_series(r) for r in rows]

    async def count_active(self, guild_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM circle_series WHERE ended_at IS NULL AND guild_id = ?", (guild_id,)
        )
        return int(row[0]) if row else 0

    async def claim_next(self, series_id: int, expected: datetime, following: datetime) -> bool:
        """Move a series on from the session at `expected` to `following`; True only for the call that moved it."""
        count = await self._db.execute_rowcount(
            "UPDATE circle_series SET next_session = ? WHERE id = ? AND next_session = ? AND ended_at IS NULL",
            (to_db(following), series_id, to_db(expected)),
        )
        return count > 0

    async def end(self, guild_id: int, series_id: int, now: datetime) -> bool:
        """Unschedule: the series stops (its row and sessions stay, for streaks) and its opt-ins are forgotten."""
        async with self._db.transaction():
            count = await self._db.execute_rowcount(
                "UPDATE circle_series SET ended_at = ? WHERE id = ? AND guild_id = ? AND ended_at IS NULL",
                (to_db(now), series_id, guild_id),
            )
            if count:
                await self._db.execute("DELETE FROM series_reminders WHERE series_id = ?", (series_id,))
        return count > 0

    # Sessions -----------------------------------------------------------------------------------------------

    async def session(self, series_id: int, starts_at: datetime) -> Session | None:
        row = await self._db.fetchone(
            f"SELECT {_SESSION_COLUMNS} FROM series_sessions WHERE series_id = ? AND starts_at = ?",
            (series_id, to_db(starts_at)),
        )
        return _session(row) if row else None

    async def sessions_from(self, series_id: int, start: datetime) -> list[Session]:
        """The series' sessions starting at or after `start`, in order."""
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM series_sessions WHERE series_id = ? AND starts_at >= ? ORDER BY starts_at",
            (series_id, to_db(start)),
        )
        return [_session(r) for r in rows]

    async def session_for_circle(self, circle_id: int) -> Session | None:
        row = await self._db.fetchone(
            f"SELECT {_SESSION_COLUMNS} FROM series_sessions WHERE circle_id = ?", (circle_id,)
        )
        return _session(row) if row else None

    async def sessions_with_live_events(self) -> list[Session]:
        """Opened sessions whose Event is still scheduled or active: to put right after a restart."""
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM series_sessions WHERE status = ? AND circle_id IS NOT NULL "
            "AND event_id IS NOT NULL AND event_status IN (?, ?) ORDER BY series_id, starts_at",
            (OPENED, EVENT_SCHEDULED, EVENT_ACTIVE),
        )
        return [_session(r) for r in rows]

    async def plan(self, series_id: int, guild_id: int, starts_at: datetime, status: str = PLANNED) -> bool:
        """Record a session (once); True if this call recorded it."""
        count = await self._db.execute_rowcount(
            "INSERT OR IGNORE INTO series_sessions (series_id, guild_id, starts_at, status) VALUES (?, ?, ?, ?)",
            (series_id, guild_id, to_db(starts_at), status),
        )
        return count > 0

    async def claim_status(
        self, series_id: int, guild_id: int, starts_at: datetime, to_status: str, *, from_status: str = PLANNED
    ) -> bool:
        """Move a session from `from_status` (planned, or not yet recorded) to `to_status`; True for the mover."""
        async with self._db.transaction():
            await self.plan(series_id, guild_id, starts_at)
            count = await self._db.execute_rowcount(
                "UPDATE series_sessions SET status = ? WHERE series_id = ? AND starts_at = ? AND status = ?",
                (to_status, series_id, to_db(starts_at), from_status),
            )
        return count > 0

    async def set_event(self, series_id: int, starts_at: datetime, event_id: int, event_status: int) -> None:
        await self._db.execute(
            "UPDATE series_sessions SET event_id = ?, event_status = ? WHERE series_id = ? AND starts_at = ?",
            (event_id, event_status, series_id, to_db(starts_at)),
        )

    async def set_event_status(self, series_id: int, starts_at: datetime, event_status: int) -> None:
        await self._db.execute(
            "UPDATE series_sessions SET event_status = ? WHERE series_id = ? AND starts_at = ?",
            (event_status, series_id, to_db(starts_at)),
        )

    async def set_circle(self, series_id: int, starts_at: datetime, circle_id: int) -> None:
        await self._db.execute(
            "UPDATE series_sessions SET circle_id = ? WHERE series_id = ? AND starts_at = ?",
            (circle_id, series_id, to_db(starts_at)),
        )

    async def claim_flag(self, series_id: int, starts_at: datetime, flag: str) -> bool:
        """Set `reminded` or `started` once; True only for the call that set it."""
        if flag not in ("reminded", "started"):
            raise ValueError(f"unknown session flag {flag!r}")
        count = await self._db.execute_rowcount(
            f"UPDATE series_sessions SET {flag} = 1 WHERE series_id = ? AND starts_at = ? AND {flag} = 0",
            (series_id, to_db(starts_at)),
        )
        return count > 0

    async def cancel_planned(self, series_id: int) -> list[Session]:
        """The series ended: its planned sessions are cancelled; return them (their Events are cancelled next)."""
        async with self._db.transaction():
            rows = await self._db.fetchall(
                f"SELECT {_SESSION_COLUMNS} FROM series_sessions WHERE series_id = ? AND status = ? ORDER BY starts_at",
                (series_id, PLANNED),
            )
            await self._db.execute(
                "UPDATE series_sessions SET status = ? WHERE series_id = ? AND status = ?",
                (CANCELLED, series_id, PLANNED),
            )
        return [_session(r) for r in rows]

    # Reminder opt-ins ---------------------------------------------------------------------------------------

    async def set_reminder(self, series_id: int, guild_id: int, user_id: int, on: bool, now: datetime) -> None:
        if on:
            await self._db.execute(
                "INSERT OR IGNORE INTO series_reminders (series_id, guild_id, user_id, created_at) VALUES (?, ?, ?, ?)",
                (series_id, guild_id, user_id, to_db(now)),
            )
        else:
            await self._db.execute(
                "DELETE FROM series_reminders WHERE series_id = ? AND user_id = ?", (series_id, user_id)
            )

    async def reminder_users(self, series_id: int) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT user_id FROM series_reminders WHERE series_id = ? ORDER BY created_at, user_id", (series_id,)
        )
        return [int(r["user_id"]) for r in rows]

    async def reminders_sent(self, series_id: int, starts_at: datetime) -> set[int]:
        """Who already got (or was refused) this session's reminder DM."""
        rows = await self._db.fetchall(
            "SELECT user_id FROM series_reminder_sends WHERE series_id = ? AND starts_at = ?",
            (series_id, to_db(starts_at)),
        )
        return {int(r["user_id"]) for r in rows}

    async def reminder_sent(self, series_id: int, guild_id: int, starts_at: datetime, user_id: int) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO series_reminder_sends (series_id, starts_at, guild_id, user_id) VALUES (?, ?, ?, ?)",
            (series_id, to_db(starts_at), guild_id, user_id),
        )

    async def forget_reminders_before(self, series_id: int, starts_at: datetime) -> None:
        """A session has begun: its record of reminders sent is no longer needed."""
        await self._db.execute(
            "DELETE FROM series_reminder_sends WHERE series_id = ? AND starts_at <= ?", (series_id, to_db(starts_at))
        )

    # Privacy ------------------------------------------------------------------------------------------------

    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The series the member set up, and the series they asked reminders for."""
        series = await self._db.fetchall(
            "SELECT id, name, channel_id, created_at, ended_at, created_by_user_id FROM circle_series "
            "WHERE guild_id = ? AND created_by_user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        reminders = await self._db.fetchall(
            "SELECT r.series_id, s.name AS series_name, r.user_id, r.created_at FROM series_reminders r "
            "JOIN circle_series s ON s.id = r.series_id WHERE r.guild_id = ? AND r.user_id = ? ORDER BY r.series_id",
            (guild_id, user_id),
        )
        sends = await self._db.fetchall(
            "SELECT series_id, starts_at, user_id FROM series_reminder_sends WHERE guild_id = ? AND user_id = ? "
            "ORDER BY series_id, starts_at",
            (guild_id, user_id),
        )
        return {
            "circle_series": [dict(r) for r in series],
            "series_reminders": [dict(r) for r in reminders],
            "series_reminder_sends": [dict(r) for r in sends],
        }

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Forget the member; return how many rows were deleted or changed.

        Their reminder opt-ins go; series they set up stay (they are the group's), without their id.
        """
        async with self._db.transaction():
            changed = await self._db.execute_rowcount(
                "UPDATE circle_series SET created_by_user_id = NULL WHERE guild_id = ? AND created_by_user_id = ?",
                (guild_id, user_id),
            )
            changed += await self._db.execute_rowcount(
                "DELETE FROM series_reminders WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            changed += await self._db.execute_rowcount(
                "DELETE FROM series_reminder_sends WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        return changed
