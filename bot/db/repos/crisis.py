"""Crisis care: server settings, members' own choices, and the 24-hour record that keeps the bot from pestering.

The record (`crisis_responses`) holds what the bot did (a check-in DM, a facilitator alert) or what the member
said ("I'm okay"), with the screen's tier and categories and the time. Never the message, its id or its channel.
It exists only for the rate limit, so rows older than the window are deleted (`prune`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.db.repos._memo import TableMemo
from bot.db.repos._time import from_db, to_db

if TYPE_CHECKING:
    from bot.db.database import Database

# At most one check-in per member per window unless the tier rises; "I'm okay" silences one window.
WINDOW = timedelta(hours=24)
SCOPES = ("circles", "server", "off")
# A member's country for helplines when the table does not cover it: they see the international directories.
OTHER_COUNTRY = "other"


@dataclass(frozen=True, slots=True)
class CrisisSettings:
    guild_id: int
    scope: str = "circles"
    alert_channel_id: int | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class MemberPrefs:
    guild_id: int
    user_id: int
    country: str | None = None
    screen_off: bool = False


class CrisisRepo:
    """Crisis care's tables; server settings and members' choices are held in memory.

    Both are read on every message in scope (`TableMemo`), and both tables only have rows for what someone changed
    from the defaults.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._settings: TableMemo[int, CrisisSettings] = TableMemo(self._all_settings, self._one_settings)
        self._prefs: TableMemo[tuple[int, int], MemberPrefs] = TableMemo(self._all_prefs, self._one_prefs)

    @property
    def reads(self) -> int:
        """How often the settings and choices were read from the database (tests and benchmarks count them)."""
        return self._settings.reads + self._prefs.reads

    # Server settings ----------------------------------------------------------------------------------------

    _SETTINGS = "SELECT guild_id, scope, alert_channel_id, region FROM crisis_settings"

    @staticmethod
    def _settings_of(row: Any) -> CrisisSettings:
        return CrisisSettings(row["guild_id"], row["scope"], row["alert_channel_id"], row["region"])

    async def _all_settings(self) -> dict[int, CrisisSettings]:
        return {row["guild_id"]: self._settings_of(row) for row in await self._db.fetchall(self._SETTINGS)}

    async def _one_settings(self, guild_id: int) -> CrisisSettings | None:
        row = await self._db.fetchone(f"{self._SETTINGS} WHERE guild_id = ?", (guild_id,))
        return None if row is None else self._settings_of(row)

    async def settings(self, guild_id: int) -> CrisisSettings:
        return await self._settings.get(guild_id) or CrisisSettings(guild_id)

    async def _set(self, guild_id: int, column: str, value: object, now: datetime) -> None:
        # `column` is always one of the literal names below, never user input.
        try:
            await self._db.execute(
                f"INSERT INTO crisis_settings (guild_id, {column}, updated_at) VALUES (?, ?, ?) "
                f"ON CONFLICT (guild_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at",
                (guild_id, value, to_db(now)),
            )
        finally:
            self._settings.stale(guild_id)

    async def set_scope(self, guild_id: int, scope: str, now: datetime) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        await self._set(guild_id, "scope", scope, now)

    async def set_alert_channel(self, guild_id: int, channel_id: int | None, now: datetime) -> None:
        await self._set(guild_id, "alert_channel_id", channel_id, now)

    async def set_region(self, guild_id: int, code: str | None, now: datetime) -> None:
        await self._set(guild_id, "region", code, now)

    # A member's choices -------------------------------------------------------------------------------------

    _PREFS = "SELECT guild_id, user_id, country, screen_off FROM crisis_member_prefs"

    @staticmethod
    def _prefs_of(row: Any) -> MemberPrefs:
        return MemberPrefs(row["guild_id"], row["user_id"], row["country"], bool(row["screen_off"]))

    async def _all_prefs(self) -> dict[tuple[int, int], MemberPrefs]:
        return {(r["guild_id"], r["user_id"]): self._prefs_of(r) for r in await self._db.fetchall(self._PREFS)}

    async def _one_prefs(self, key: tuple[int, int]) -> MemberPrefs | None:
        row = await self._db.fetchone(f"{self._PREFS} WHERE guild_id = ? AND user_id = ?", key)
        return None if row is None else self._prefs_of(row)

    async def prefs(self, guild_id: int, user_id: int) -> MemberPrefs:
        return await self._prefs.get((guild_id, user_id)) or MemberPrefs(guild_id, user_id)

    async def _set_pref(self, guild_id: int, user_id: int, column: str, value: object, now: datetime) -> None:
        try:
            await self._write_pref(guild_id, user_id, column, value, now)
        finally:
            self._prefs.stale((guild_id, user_id))

    async def _write_pref(self, guild_id: int, user_id: int, column: str, value: object, now: datetime) -> None:
        async with self._db.transaction():
            await self._db.execute(
                f"INSERT INTO crisis_member_prefs (guild_id, user_id, {column}, updated_at) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (guild_id, user_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (guild_id, user_id, value, to_db(now)),
            )
            # A row back at the defaults says nothing worth keeping.
            await self._db.execute(
                "DELETE FROM crisis_member_prefs WHERE guild_id = ? AND user_id = ? AND country IS NULL "
                "AND screen_off = 0",
                (guild_id, user_id),
            )

    async def set_country(self, guild_id: int, user_id: int, country: str | None, now: datetime) -> None:
        """`country` is an ISO code, `OTHER_COUNTRY`, or None to follow the server's region."""
        await self._set_pref(guild_id, user_id, "country", country, now)

    async def set_screen_off(self, guild_id: int, user_id: int, off: bool, now: datetime) -> None:
        await self._set_pref(guild_id, user_id, "screen_off", int(off), now)

    # The 24-hour record -------------------------------------------------------------------------------------

    async def claim_dm(
        self, guild_id: int, user_id: int, tier: int, categories: tuple[str, ...], now: datetime
    ) -> int | None:
        """Record a check-in DM and return its row id; None (send nothing) if one is not due.

        Not due: the member said "I'm okay", or had a check-in of the same or a higher tier, within the window.
        """
        return await self._claim("dm", guild_id, user_id, tier, categories, now, also_blocked_by="okay")

    async def claim_alert(
        self, guild_id: int, user_id: int, tier: int, categories: tuple[str, ...], now: datetime
    ) -> int | None:
        """Record a facilitator alert and return its row id; None if one is not due.

        Not due: an alert of the same or a higher tier about this member was posted within the window.
        """
        return await self._claim("alert", guild_id, user_id, tier, categories, now, also_blocked_by=None)

    async def _claim(
        self,
        kind: str,
        guild_id: int,
        user_id: int,
        tier: int,
        categories: tuple[str, ...],
        now: datetime,
        *,
        also_blocked_by: str | None,
    ) -> int | None:
        # Check and insert in one transaction: two messages screened at once never both get a response.
        async with self._db.transaction():
            blocking = await self._db.fetchone(
                "SELECT 1 FROM crisis_responses WHERE guild_id = ? AND user_id = ? AND at > ? "
                "AND ((kind = ? AND tier >= ?) OR kind = ?) LIMIT 1",
                (guild_id, user_id, to_db(now - WINDOW), kind, tier, also_blocked_by),
            )
            if blocking is not None:
                return None
            return await self._db.execute(
                "INSERT INTO crisis_responses (guild_id, user_id, kind, tier, categories, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, user_id, kind, tier, ",".join(categories), to_db(now)),
            )

    async def last_check_in(self, guild_id: int, user_id: int, now: datetime) -> tuple[int, int] | None:
        """The member's latest check-in DM of the day as `(row id, tier)`, or None: the bot sent them none."""
        row = await self._db.fetchone(
            "SELECT id, tier FROM crisis_responses WHERE guild_id = ? AND user_id = ? AND kind = 'dm' AND at > ? "
            "ORDER BY at DESC, id DESC LIMIT 1",
            (guild_id, user_id, to_db(now - WINDOW)),
        )
        return None if row is None else (int(row["id"]), int(row["tier"]))

    async def claim_talk(self, response_id: int) -> bool:
        """Mark that the member asked to talk about this check-in; False if they already had."""
        return (
            await self._db.execute_rowcount(
                "INSERT OR IGNORE INTO crisis_talks (response_id) VALUES (?)", (response_id,)
            )
            == 1
        )

    async def forget(self, row_id: int) -> None:
        """Drop a claim whose response could not be made (an alert Discord refused), so the next one may try."""
        await self._db.execute("DELETE FROM crisis_responses WHERE id = ?", (row_id,))

    async def record_okay(self, guild_id: int, user_id: int, tier: int, now: datetime) -> None:
        """The member pressed "I'm okay": no check-in DMs for the window, whatever the tier."""
        await self._db.execute(
            "INSERT INTO crisis_responses (guild_id, user_id, kind, tier, categories, at) "
            "VALUES (?, ?, 'okay', ?, '', ?)",
            (guild_id, user_id, tier, to_db(now)),
        )

    async def prune(self, now: datetime) -> datetime | None:
        """Delete rows older than the window; return when the oldest remaining one will be (None: none left)."""
        async with self._db.transaction():
            await self._db.execute("DELETE FROM crisis_responses WHERE at <= ?", (to_db(now - WINDOW),))
            row = await self._db.fetchone("SELECT MIN(at) AS at FROM crisis_responses")
        oldest = from_db(row["at"]) if row is not None else None
        return oldest + WINDOW if oldest is not None else None

    # Privacy ------------------------------------------------------------------------------------------------

    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row about the member: their choices and the last day's record of check-ins."""
        prefs = await self._db.fetchall(
            "SELECT guild_id, user_id, country, screen_off, updated_at FROM crisis_member_prefs "
            "WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        responses = await self._db.fetchall(
            "SELECT guild_id, user_id, kind, tier, categories, at FROM crisis_responses "
            "WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        return {
            "crisis_member_prefs": [dict(row) for row in prefs],
            "crisis_responses": [dict(row) for row in responses],
        }

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Forget the member's choices and record; return how many rows were deleted."""
        try:
            async with self._db.transaction():
                deleted = await self._db.execute_rowcount(
                    "DELETE FROM crisis_member_prefs WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
                )
                deleted += await self._db.execute_rowcount(
                    "DELETE FROM crisis_responses WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
                )
        finally:
            self._prefs.stale((guild_id, user_id))
        return deleted
