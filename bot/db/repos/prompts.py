"""Reflective prompts: server prompts, how deep a server goes, what it has drawn, round prompts, schedules.

No table here holds a user id (a server prompt belongs to the server), so there is nothing to export or delete
for a member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.db.repos._time import from_db, to_db
from bot.domain.prompts import Depth, Prompt, ServerPromptDraft
from bot.domain.recurrence import Recurrence

if TYPE_CHECKING:
    import aiosqlite

    from bot.db.database import Database


@dataclass(frozen=True, slots=True)
class RoundPrompt:
    circle_id: int
    round: int
    deck: str
    prompt_key: str


@dataclass(frozen=True, slots=True)
class PromptSchedule:
    id: int
    guild_id: int
    channel_id: int
    recurrence: Recurrence
    deck: str
    thread: bool
    next_due: datetime
    last_posted_at: datetime | None


_SCHEDULE_COLUMNS = "id, guild_id, channel_id, recurrence, deck, thread, next_due, last_posted_at"


def _server_prompt(row: aiosqlite.Row) -> Prompt:
    return ServerPromptDraft(
        deck=row["deck"], text=row["text"], depth=Depth(row["depth"]), content_note=row["content_note"]
    ).to_prompt(row["id"])


def _schedule(row: aiosqlite.Row) -> PromptSchedule:
    next_due = from_db(row["next_due"])
    assert next_due is not None
    return PromptSchedule(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        recurrence=Recurrence.from_json(row["recurrence"]),
        deck=row["deck"],
        thread=bool(row["thread"]),
        next_due=next_due,
        last_posted_at=from_db(row["last_posted_at"]),
    )


class PromptRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Server prompts -----------------------------------------------------------------------------------------

    async def add_server_prompt(self, guild_id: int, draft: ServerPromptDraft, now: datetime) -> Prompt:
        prompt_id = await self._db.execute(
            "INSERT INTO server_prompts (guild_id, deck, text, depth, content_note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, draft.deck, draft.text, draft.depth.value, draft.content_note, to_db(now)),
        )
        return draft.to_prompt(prompt_id)

    async def server_prompts(self, guild_id: int) -> list[Prompt]:
        rows = await self._db.fetchall(
            "SELECT id, deck, text, depth, content_note FROM server_prompts WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        )
        return [_server_prompt(r) for r in rows]

    async def server_prompt(self, guild_id: int, prompt_id: int) -> Prompt | None:
        row = await self._db.fetchone(
            "SELECT id, deck, text, depth, content_note FROM server_prompts WHERE guild_id = ? AND id = ?",
            (guild_id, prompt_id),
        )
        return _server_prompt(row) if row else None

    async def remove_server_prompt(self, guild_id: int, prompt: Prompt) -> bool:
        """Delete a server prompt and forget that it was drawn; False if it was not this server's."""
        async with self._db.transaction():
            count = await self._db.execute_rowcount(
                "DELETE FROM server_prompts WHERE guild_id = ? AND id = ?", (guild_id, prompt.server_prompt_id)
            )
            await self._db.execute(
                "DELETE FROM prompt_draws WHERE guild_id = ? AND prompt_key = ?", (guild_id, prompt.key)
            )
        return count > 0

    # Depth --------------------------------------------------------------------------------------------------

    async def max_depth(self, guild_id: int) -> Depth:
        row = await self._db.fetchone("SELECT max_depth FROM prompt_settings WHERE guild_id = ?", (guild_id,))
        return Depth(row["max_depth"]) if row else Depth.LIGHT

    async def set_max_depth(self, guild_id: int, depth: Depth, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO prompt_settings (guild_id, max_depth, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET max_depth = excluded.max_depth, updated_at = excluded.updated_at",
            (guild_id, depth.value, to_db(now)),
        )

    # Draw history -------------------------------------------------------------------------------------------

    async def used(self, guild_id: int) -> frozenset[str]:
        rows = await self._db.fetchall("SELECT prompt_key FROM prompt_draws WHERE guild_id = ?", (guild_id,))
        return frozenset(r["prompt_key"] for r in rows)

    async def replace_used(self, guild_id: int, before: frozenset[str], after: frozenset[str], now: datetime) -> None:
        """Write the change from `before` to `after` (what `pick_prompt` returned), in one transaction."""
        async with self._db.transaction():
            gone = sorted(before - after)
            if gone:
                await self._db.executemany(
                    "DELETE FROM prompt_draws WHERE guild_id = ? AND prompt_key = ?", [(guild_id, k) for k in gone]
                )
            new = sorted(after - before)
            if new:
                await self._db.executemany(
                    "INSERT OR IGNORE INTO prompt_draws (guild_id, prompt_key, drawn_at) VALUES (?, ?, ?)",
                    [(guild_id, k, to_db(now)) for k in new],
                )

    # Round prompts ------------------------------------------------------------------------------------------

    async def round_prompt(self, circle_id: int, round_: int) -> RoundPrompt | None:
        row = await self._db.fetchone(
            "SELECT circle_id, round, deck, prompt_key FROM circle_prompts WHERE circle_id = ? AND round = ?",
            (circle_id, round_),
        )
        return RoundPrompt(row["circle_id"], row["round"], row["deck"], row["prompt_key"]) if row else None

    async def set_round_prompt(
        self, circle_id: int, round_: int, guild_id: int, deck: str, prompt_key: str, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO circle_prompts (circle_id, round, guild_id, deck, prompt_key, drawn_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (circle_id, round) DO UPDATE SET "
            "deck = excluded.deck, prompt_key = excluded.prompt_key, drawn_at = excluded.drawn_at",
            (circle_id, round_, guild_id, deck, prompt_key, to_db(now)),
        )

    # Schedules ----------------------------------------------------------------------------------------------

    async def add_schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        recurrence: Recurrence,
        deck: str,
        thread: bool,
        next_due: datetime,
        now: datetime,
    ) -> int:
        return await self._db.execute(
            "INSERT INTO prompt_schedules (guild_id, channel_id, recurrence, deck, thread, next_due, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, channel_id, recurrence.to_json(), deck, int(thread), to_db(next_due), to_db(now)),
        )

    async def schedule(self, schedule_id: int) -> PromptSchedule | None:
        row = await self._db.fetchone(f"SELECT {_SCHEDULE_COLUMNS} FROM prompt_schedules WHERE id = ?", (schedule_id,))
        return _schedule(row) if row else None

    async def schedules(self, guild_id: int | None = None) -> list[PromptSchedule]:
        """A server's schedules (or every server's, for start-up), oldest first."""
        if guild_id is None:
            rows = await self._db.fetchall(f"SELECT {_SCHEDULE_COLUMNS} FROM prompt_schedules ORDER BY id")
        else:
            rows = await self._db.fetchall(
                f"SELECT {_SCHEDULE_COLUMNS} FROM prompt_schedules WHERE guild_id = ? ORDER BY id", (guild_id,)
            )
        return [_schedule(r) for r in rows]

    async def count_schedules(self, guild_id: int) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM prompt_schedules WHERE guild_id = ?", (guild_id,))
        return int(row[0]) if row else 0

    async def claim_due(
        self, schedule_id: int, expected_due: datetime, next_due: datetime, posted_at: datetime | None
    ) -> bool:
        """Move a schedule on to `next_due`, only if it is still at `expected_due`; True if this call moved it.

        The post (if any) is made only after this succeeds, so two runs for one due moment post once.
        """
        count = await self._db.execute_rowcount(
            "UPDATE prompt_schedules SET next_due = ?, last_posted_at = coalesce(?, last_posted_at) "
            "WHERE id = ? AND next_due = ?",
            (to_db(next_due), to_db(posted_at), schedule_id, to_db(expected_due)),
        )
        return count > 0

    async def remove_schedule(self, guild_id: int, schedule_id: int) -> bool:
        count = await self._db.execute_rowcount(
            "DELETE FROM prompt_schedules WHERE guild_id = ? AND id = ?", (guild_id, schedule_id)
        )
        return count > 0
