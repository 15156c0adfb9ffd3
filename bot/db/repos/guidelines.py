"""Community guidelines: the rules and who accepted them, filters, moderation settings and the mod log's cases.

Never message text: a filter hit records the filter that fired. A case's `reason` is what a facilitator typed
for a warning.

Deleting a member's data (`delete_user`) removes their acceptance and every case *about* them (their filter
hits, warnings, timeouts, alerts, and the pardons of their warnings, which name them too), so their points start
again from nothing.
Cases where they only *acted* (a facilitator who warned someone else, an admin who edited the rules) stay on the
other member's record, with the actor's id removed. The embeds already posted in the server's mod-log channel are
the server's own messages on Discord and are not touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.db.repos._time import from_db, to_db
from bot.domain.guidelines import (
    DEFAULT_LADDER,
    WARNING_EXPIRY,
    FilterAction,
    FilterKind,
    FilterRule,
    FilterScope,
    LadderAction,
    LadderRung,
    WarningRecord,
)

if TYPE_CHECKING:
    import aiosqlite

    from bot.db.database import Database

CASE_KINDS = frozenset({"filter", "warning", "timeout", "alert", "pardon", "rules"})


@dataclass(frozen=True, slots=True)
class RulesRow:
    version: int
    rules: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ModerationSettings:
    guild_id: int
    mod_log_channel_id: int | None = None
    warn_expiry_days: int = WARNING_EXPIRY.days
    appeal_text: str | None = None
    ladder: tuple[LadderRung, ...] = DEFAULT_LADDER

    @property
    def expiry(self) -> timedelta:
        return timedelta(days=self.warn_expiry_days)


@dataclass(frozen=True, slots=True)
class Case:
    number: int
    kind: str
    user_id: int | None
    actor_user_id: int | None
    points: int
    reason: str | None
    rule_number: int | None
    filter_id: int | None
    action: str | None
    channel_id: int | None
    refers_to: int | None
    duration_seconds: int | None
    note: str | None
    pardoned_at: datetime | None
    pardon_number: int | None
    log_message_id: int | None
    created_at: datetime

    @property
    def duration(self) -> timedelta | None:
        return timedelta(seconds=self.duration_seconds) if self.duration_seconds is not None else None

    def as_warning(self) -> WarningRecord:
        return WarningRecord(self.number, self.points, self.created_at, pardoned=self.pardoned_at is not None)


@dataclass(frozen=True, slots=True)
class NewCase:
    """What a case records when it is opened; the number is given by the repository."""

    kind: str
    user_id: int | None = None
    actor_user_id: int | None = None
    points: int = 0
    reason: str | None = None
    rule_number: int | None = None
    filter_id: int | None = None
    action: str | None = None
    channel_id: int | None = None
    refers_to: int | None = None
    duration_seconds: int | None = None
    note: str | None = None


_CASE_COLUMNS = (
    "number, kind, user_id, actor_user_id, points, reason, rule_number, filter_id, action, channel_id, refers_to, "
    "duration_seconds, note, pardoned_at, pardon_number, log_message_id, created_at"
)


def _case(row: aiosqlite.Row) -> Case:
    created_at = from_db(row["created_at"])
    assert created_at is not None
    return Case(
        number=row["number"],
        kind=row["kind"],
        user_id=row["user_id"],
        actor_user_id=row["actor_user_id"],
        points=row["points"],
        reason=row["reason"],
        rule_number=row["rule_number"],
        filter_id=row["filter_id"],
        action=row["action"],
        channel_id=row["channel_id"],
        refers_to=row["refers_to"],
        duration_seconds=row["duration_seconds"],
        note=row["note"],
        pardoned_at=from_db(row["pardoned_at"]),
        pardon_number=row["pardon_number"],
        log_message_id=row["log_message_id"],
        created_at=created_at,
    )


def _ladder_to_json(ladder: tuple[LadderRung, ...]) -> str:
    return json.dumps(
        [
            {
                "points": rung.points,
                "action": str(rung.action),
                "seconds": int(rung.duration.total_seconds()) if rung.duration is not None else None,
            }
            for rung in ladder
        ],
        separators=(",", ":"),
    )


def _ladder_from_json(text: str | None) -> tuple[LadderRung, ...]:
    if text is None:
        return DEFAULT_LADDER
    return tuple(
        LadderRung(
            step["points"],
            LadderAction(step["action"]),
            timedelta(seconds=step["seconds"]) if step["seconds"] is not None else None,
        )
        for step in json.loads(text)
    )


class GuidelinesRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Rules --------------------------------------------------------------------------------------------------

    async def rules(self, guild_id: int) -> RulesRow | None:
        """The server's rules, or None while it has none (no acceptance is asked for then)."""
        row = await self._db.fetchone(
            "SELECT version, rules, updated_at FROM guideline_rules WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return None
        updated_at = from_db(row["updated_at"])
        assert updated_at is not None
        return RulesRow(row["version"], tuple(json.loads(row["rules"])), updated_at)

    async def save_rules(self, guild_id: int, rules: tuple[str, ...], *, expected_version: int, now: datetime) -> int:
        """Store new rules as the next version and return it; 0 if someone else saved since `expected_version`."""
        async with self._db.transaction():
            current = await self._db.fetchone("SELECT version FROM guideline_rules WHERE guild_id = ?", (guild_id,))
            version = current["version"] if current else 0
            if version != expected_version:
                return 0
            await self._db.execute(
                "INSERT INTO guideline_rules (guild_id, version, rules, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET version = excluded.version, rules = excluded.rules, "
                "updated_at = excluded.updated_at",
                (guild_id, version + 1, json.dumps(list(rules), ensure_ascii=False), to_db(now)),
            )
            return version + 1

    async def accepted_version(self, guild_id: int, user_id: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT version FROM rule_acceptances WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return row["version"] if row else None

    async def accept(self, guild_id: int, user_id: int, version: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO rule_acceptances (guild_id, user_id, version, accepted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET version = excluded.version, "
            "accepted_at = excluded.accepted_at",
            (guild_id, user_id, version, to_db(now)),
        )

    # Filters ------------------------------------------------------------------------------------------------

    async def filters(self, guild_id: int) -> list[FilterRule]:
        rows = await self._db.fetchall(
            "SELECT id, kind, text, action, scope FROM guideline_filters WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [
            FilterRule(r["id"], FilterKind(r["kind"]), r["text"], FilterAction(r["action"]), FilterScope(r["scope"]))
            for r in rows
        ]

    async def add_filter(
        self,
        guild_id: int,
        *,
        kind: FilterKind,
        text: str,
        action: FilterAction,
        scope: FilterScope,
        now: datetime,
    ) -> int:
        return await self._db.execute(
            "INSERT INTO guideline_filters (guild_id, kind, text, action, scope, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, str(kind), text, str(action), str(scope), to_db(now)),
        )

    async def remove_filter(self, guild_id: int, filter_id: int) -> bool:
        count = await self._db.execute_rowcount(
            "DELETE FROM guideline_filters WHERE guild_id = ? AND id = ?", (guild_id, filter_id)
        )
        return count > 0

    # Settings -----------------------------------------------------------------------------------------------

    async def settings(self, guild_id: int) -> ModerationSettings:
        row = await self._db.fetchone(
            "SELECT mod_log_channel_id, warn_expiry_days, appeal_text, ladder FROM moderation_settings "
            "WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return ModerationSettings(guild_id)
        return ModerationSettings(
            guild_id=guild_id,
            mod_log_channel_id=row["mod_log_channel_id"],
            warn_expiry_days=row["warn_expiry_days"],
            appeal_text=row["appeal_text"],
            ladder=_ladder_from_json(row["ladder"]),
        )

    async def _upsert(self, guild_id: int, column: str, value: object, now: datetime) -> None:
        # `column` is always one of the literal names below, never user input.
        await self._db.execute(
            f"INSERT INTO moderation_settings (guild_id, {column}, updated_at) VALUES (?, ?, ?) "
            f"ON CONFLICT (guild_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at",
            (guild_id, value, to_db(now)),
        )

    async def set_mod_log(self, guild_id: int, channel_id: int | None, now: datetime) -> None:
        await self._upsert(guild_id, "mod_log_channel_id", channel_id, now)

    async def set_warn_expiry(self, guild_id: int, days: int, now: datetime) -> None:
        await self._upsert(guild_id, "warn_expiry_days", days, now)

    async def set_appeal_text(self, guild_id: int, text: str | None, now: datetime) -> None:
        await self._upsert(guild_id, "appeal_text", text, now)

    async def set_ladder(self, guild_id: int, ladder: tuple[LadderRung, ...], now: datetime) -> None:
        await self._upsert(guild_id, "ladder", _ladder_to_json(ladder), now)

    # Cases --------------------------------------------------------------------------------------------------

    async def open_case(self, guild_id: int, new: NewCase, now: datetime) -> Case:
        """Record a case under the server's next number and return it."""
        if new.kind not in CASE_KINDS:
            raise ValueError(f"unknown case kind {new.kind!r}")
        async with self._db.transaction():
            row_id = await self._db.execute(
                "INSERT INTO mod_cases (guild_id, number, kind, user_id, actor_user_id, points, reason, rule_number, "
                "filter_id, action, channel_id, refers_to, duration_seconds, note, created_at) "
                "SELECT ?, coalesce(max(number), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
                "FROM mod_cases WHERE guild_id = ?",
                (
                    guild_id,
                    new.kind,
                    new.user_id,
                    new.actor_user_id,
                    new.points,
                    new.reason,
                    new.rule_number,
                    new.filter_id,
                    new.action,
                    new.channel_id,
                    new.refers_to,
                    new.duration_seconds,
                    new.note,
                    to_db(now),
                    guild_id,
                ),
            )
            row = await self._db.fetchone(f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE id = ?", (row_id,))
        assert row is not None
        return _case(row)

    async def case(self, guild_id: int, number: int) -> Case | None:
        row = await self._db.fetchone(
            f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE guild_id = ? AND number = ?", (guild_id, number)
        )
        return _case(row) if row else None

    async def set_log_message(self, guild_id: int, number: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE mod_cases SET log_message_id = ? WHERE guild_id = ? AND number = ?", (message_id, guild_id, number)
        )

    async def warnings(self, guild_id: int, user_id: int) -> list[Case]:
        """Every warning a member was given here, oldest first, pardoned and expired ones included."""
        rows = await self._db.fetchall(
            f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE guild_id = ? AND user_id = ? AND kind = 'warning' "
            "ORDER BY number",
            (guild_id, user_id),
        )
        return [_case(r) for r in rows]

    async def cases_about(self, guild_id: int, user_id: int) -> list[Case]:
        rows = await self._db.fetchall(
            f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE guild_id = ? AND user_id = ? ORDER BY number",
            (guild_id, user_id),
        )
        return [_case(r) for r in rows]

    async def timeout_from(self, guild_id: int, warning_number: int) -> Case | None:
        """The timeout a warning led to, if it led to one."""
        row = await self._db.fetchone(
            f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE guild_id = ? AND kind = 'timeout' AND refers_to = ?",
            (guild_id, warning_number),
        )
        return _case(row) if row else None

    async def mark_pardoned(self, guild_id: int, warning_number: int, pardon_number: int, now: datetime) -> bool:
        """Set a warning's pardon; False if it was not an unpardoned warning (someone got there first)."""
        count = await self._db.execute_rowcount(
            "UPDATE mod_cases SET pardoned_at = ?, pardon_number = ? "
            "WHERE guild_id = ? AND number = ? AND kind = 'warning' AND pardoned_at IS NULL",
            (to_db(now), pardon_number, guild_id, warning_number),
        )
        return count > 0

    # Privacy ------------------------------------------------------------------------------------------------

    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row that names the member: their acceptance, cases about them and cases they acted in."""
        acceptances = await self._db.fetchall(
            "SELECT guild_id, user_id, version, accepted_at FROM rule_acceptances WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        cases = await self._db.fetchall(
            f"SELECT guild_id, {_CASE_COLUMNS} FROM mod_cases "
            "WHERE guild_id = ? AND (user_id = ? OR actor_user_id = ?) ORDER BY number",
            (guild_id, user_id, user_id),
        )
        return {
            "rule_acceptances": [dict(row) for row in acceptances],
            "mod_cases": [dict(row) for row in cases],
        }

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Forget the member (see the module docstring); return how many rows were deleted or lost the id."""
        async with self._db.transaction():
            changed = await self._db.execute_rowcount(
                "DELETE FROM rule_acceptances WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            changed += await self._db.execute_rowcount(
                "DELETE FROM mod_cases WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            changed += await self._db.execute_rowcount(
                "UPDATE mod_cases SET actor_user_id = NULL WHERE guild_id = ? AND actor_user_id = ?",
                (guild_id, user_id),
            )
        return changed
