"""Circles, the overwrites the bot changed for them, and gentle-mode reminder times."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.db.database import Statement
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
        state=_state(row["state"]),
        card_message_id=row["card_message_id"],
        facilitator_user_id=row["facilitator_user_id"],
        next_deadline=from_db(row["next_deadline"]),
    )


def _state(text: str) -> dict[str, Any]:
    """A circle's saved state; an unreadable one (a damaged row) reads as empty, for the keeper to deal with alone."""
    try:
        loaded = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


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
        series_id: int | None = None,
    ) -> int:
        try:
            return await self._db.execute(
                "INSERT INTO circles (guild_id, channel_id, channel_kind, status, state, facilitator_user_id, "
                "created_at, series_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, channel_kind, status, _dump(state), facilitator_user_id, to_db(now), series_id),
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

    @staticmethod
    def save_statement(
        circle_id: int,
        *,
        status: str,
        state: dict[str, Any],
        next_deadline: datetime | None,
        ended_at: datetime | None = None,
    ) -> Statement:
        """The write that saves a circle's state, to run alone (`save`) or in a `Database.batch`."""
        return Statement(
            "UPDATE circles SET status = ?, state = ?, next_deadline = ?, ended_at = coalesce(?, ended_at) "
            "WHERE id = ?",
            (status, _dump(state), to_db(next_deadline), to_db(ended_at), circle_id),
        )

    async def save(
        self,
        circle_id: int,
        *,
        status: str,
        state: dict[str, Any],
        next_deadline: datetime | None,
        ended_at: datetime | None = None,
    ) -> None:
        statement = self.save_statement(
            circle_id, status=status, state=state, next_deadline=next_deadline, ended_at=ended_at
        )
        await self._db.execute(statement.sql, statement.params)

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

    # Privacy ------------------------------------------------------------------------------------------------

    # Where a circle's saved state (bot.domain.circle.CircleState.to_json) names people.
    _STATE_LISTS = ("participants", "spoken", "passing", "left")
    _STATE_PEOPLE = ("holder", "listener", "previous_listener")

    async def _naming(self, guild_id: int, user_id: int, *, ended_only: bool) -> list[aiosqlite.Row]:
        lists = " OR ".join(
            f"EXISTS (SELECT 1 FROM json_each(c.state, '$.{name}') WHERE value = ?2)" for name in self._STATE_LISTS
        )
        people = " OR ".join(f"json_extract(c.state, '$.{name}') = ?2" for name in self._STATE_PEOPLE)
        ended = " AND c.status = 'ended'" if ended_only else ""
        return await self._db.fetchall(
            "SELECT c.id, c.channel_id, c.status, c.state, c.created_at, c.ended_at, c.facilitator_user_id "
            f"FROM circles c WHERE c.guild_id = ?1{ended} AND (c.facilitator_user_id = ?2 OR "
            f"(json_valid(c.state) AND ({lists} OR {people}))) ORDER BY c.id",
            (guild_id, user_id),
        )

    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """The circles that name the member, the channel permissions changed for them, their gentle reminders.

        A circle names them when they opened it or are in its saved state. A circle's row is exported without its
        state: that names the other people in the circle too.
        """
        circles = [
            {
                "id": r["id"],
                "channel_id": r["channel_id"],
                "status": r["status"],
                "created_at": r["created_at"],
                "ended_at": r["ended_at"],
                "opened_by_you": r["facilitator_user_id"] == user_id,
                "you_are_in_its_saved_state": _names(r["state"], user_id),
            }
            for r in await self._naming(guild_id, user_id, ended_only=False)
        ]
        overwrites = await self._db.fetchall(
            "SELECT o.circle_id, o.channel_id, o.user_id, o.existed, o.allow, o.deny FROM circle_overwrites o "
            "JOIN circles c ON c.id = o.circle_id WHERE c.guild_id = ? AND o.user_id = ? ORDER BY o.circle_id",
            (guild_id, user_id),
        )
        reminders = await self._db.fetchall(
            "SELECT r.circle_id, r.user_id, r.last_at FROM gentle_reminders r JOIN circles c ON c.id = r.circle_id "
            "WHERE c.guild_id = ? AND r.user_id = ? ORDER BY r.circle_id",
            (guild_id, user_id),
        )
        return {
            "circles": circles,
            "circle_overwrites": [dict(r) for r in overwrites],
            "gentle_reminders": [dict(r) for r in reminders],
        }

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Forget the member in this server's circles; return how many rows were deleted or changed.

        Circles they opened lose the facilitator's id (the circle stays: it is the group's). Ended circles' saved
        states drop them. A circle still running keeps them in its state and keeps the record of the channel
        permission it changed for them, because that record is how the channel is put back exactly when it ends
        (and the end deletes it); once it has ended, deleting again removes the rest.
        """
        async with self._db.transaction():
            changed = await self._db.execute_rowcount(
                "UPDATE circles SET facilitator_user_id = NULL WHERE guild_id = ? AND facilitator_user_id = ?",
                (guild_id, user_id),
            )
            for row in await self._naming(guild_id, user_id, ended_only=True):
                state = json.loads(row["state"]) if row["state"] else None
                if isinstance(state, dict) and _names(row["state"], user_id):
                    for name in self._STATE_LISTS:
                        state[name] = [p for p in state.get(name) or [] if p != user_id]
                    for name in self._STATE_PEOPLE:
                        if state.get(name) == user_id:
                            state[name] = None
                    changed += await self._db.execute_rowcount(
                        "UPDATE circles SET state = ? WHERE id = ?", (_dump(state), row["id"])
                    )
            changed += await self._db.execute_rowcount(
                "DELETE FROM circle_overwrites WHERE user_id = ? AND circle_id IN "
                "(SELECT id FROM circles WHERE guild_id = ? AND status = 'ended')",
                (user_id, guild_id),
            )
            changed += await self._db.execute_rowcount(
                "DELETE FROM gentle_reminders WHERE user_id = ? AND circle_id IN "
                "(SELECT id FROM circles WHERE guild_id = ?)",
                (user_id, guild_id),
            )
        return changed


def _names(state_text: str | None, user_id: int) -> bool:
    """Whether a saved circle state names this person anywhere."""
    try:
        state = json.loads(state_text) if state_text else None
    except ValueError:
        return False
    if not isinstance(state, dict):
        return False
    lists = any(user_id in (state.get(name) or []) for name in CircleRepo._STATE_LISTS)
    return lists or any(state.get(name) == user_id for name in CircleRepo._STATE_PEOPLE)
