"""Members in charge of their data: /privacy show, export and delete, over every table SQLite says holds a user id.

The tables come from SQLite's own schema (`Database.user_tables`), not from a list kept here, and each one gets a
row seeded with the member's id in every user-id column, whatever its other columns need. A table added later by
any feature, without export and delete support, therefore fails these tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.db.database import Database
from bot.domain.circle import CircleSettings, CircleState, Status
from bot.testing import EPHEMERAL
from tests.circle_helpers import circle_state, open_and_start
from tests.streak_helpers import FileKeepingStandIn, file_keeping_standin


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[FileKeepingStandIn]:
    async with file_keeping_standin(tmp_path) as s:
        yield s


WHEN = "2026-03-01T18:00:00.000000+00:00"


def _check_value(table_sql: str, column: str) -> Any:
    """A value the table's CHECK constraints accept for `column`, if they name it; else None."""
    listed = re.search(rf"\b{column}\s+IN\s*\(([^)]*)\)", table_sql)
    if listed:
        first = listed.group(1).split(",")[0].strip()
        return first.strip("'") if first.startswith("'") else int(first)
    between = re.search(rf"\b{column}\s+BETWEEN\s+(-?\d+)", table_sql)
    if between:
        return int(between.group(1))
    return None


class Seeder:
    """Inserts one row per table, filling what its NOT NULL, CHECK and foreign-key constraints need."""

    def __init__(self, db: Database, guild_id: int) -> None:
        self.db = db
        self.guild_id = guild_id
        self.parents: dict[str, int] = {}

    async def row(self, table: str, user_id: int, *, serial: int = 1, **overrides: Any) -> int:
        schema = await self.db.fetchone("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        assert schema is not None
        columns = await self.db.fetchall(f"PRAGMA table_info({table})")
        keys = {fk["from"]: fk["table"] for fk in await self.db.fetchall(f"PRAGMA foreign_key_list({table})")}
        values: dict[str, Any] = {}
        for column in columns:
            name, kind = column["name"], (column["type"] or "").upper()
            if name in overrides:
                values[name] = overrides[name]
            elif name == "user_id" or name.endswith("_user_id"):
                values[name] = user_id
            elif name == "guild_id":
                values[name] = self.guild_id
            elif name in keys:
                values[name] = await self.parent(keys[name])
            elif column["pk"] and kind == "INTEGER" and len([c for c in columns if c["pk"]]) == 1:
                continue  # the rowid
            elif (column["notnull"] and column["dflt_value"] is None) or column["pk"]:
                checked = _check_value(schema["sql"], name)
                if checked is not None:
                    values[name] = checked
                elif kind == "INTEGER":
                    values[name] = serial
                elif name == "at" or name.endswith(("_at", "_session")):
                    values[name] = WHEN
                else:
                    values[name] = "{}"  # valid JSON, for the columns that hold some
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        return await self.db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values()))

    async def parent(self, table: str) -> int:
        if table not in self.parents:
            self.parents[table] = await self.row(table, 0)
        return self.parents[table]


def ended_state(*people: int) -> str:
    state = CircleState(settings=CircleSettings(), status=Status.ENDED, participants=people, round=1)
    return json.dumps(state.to_json())


async def seed_everywhere(db: Database, guild_id: int, member: int, other: int) -> list[tuple[str, list[str]]]:
    """A row naming `member` in every user-id table (and one naming `other`); returns the tables."""
    seeder = Seeder(db, guild_id)
    # The circle the rows hang off is an ended one, naming both in its saved state.
    seeder.parents["circles"] = await seeder.row(
        "circles", member, status="ended", state=ended_state(member, other), channel_kind="text"
    )
    await seeder.row("circles", other, status="ended", state=ended_state(other), channel_kind="text", serial=2)
    tables = await db.user_tables()
    # A server mute the bot has not lifted yet outlives a delete (it is how the member gets their voice back; see
    # tests/test_circle_faults.py), so the generic row here is a stage change, which a delete removes.
    special = {"voice_changes": {"kind": "speaker"}}
    for table, _columns in tables:
        if table == "circles":
            continue
        await seeder.row(table, member, **special.get(table, {}))
        await seeder.row(table, other, serial=2, **special.get(table, {}))
    return tables


async def rows_naming(db: Database, tables: list[tuple[str, list[str]]], user_id: int) -> dict[str, int]:
    found = {}
    for table, columns in tables:
        where = " OR ".join(f"{c} = ?" for c in columns)
        row = await db.fetchone(f"SELECT count(*) AS n FROM {table} WHERE {where}", (user_id,) * len(columns))
        assert row is not None
        found[table] = int(row["n"])
    return found


def missing_from_export(tables: list[tuple[str, list[str]]], exported: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [table for table, _ in tables if not exported.get(table)]


def exported_tables(s: FileKeepingStandIn) -> dict[str, list[dict[str, Any]]]:
    document = json.loads(s.uploads[f"my-data-{s.guild_id}.json"])
    assert document["user_id"] == s.user_id("Lu") and document["server_id"] == s.guild_id
    return dict(document["tables"])


async def test_export_and_delete_cover_every_table_that_holds_a_user_id(standin: FileKeepingStandIn) -> None:
    s = standin
    assert s.bot is not None
    db = s.bot.db
    lu, sam = s.user_id("Lu"), s.user_id("Sam")
    tables = await seed_everywhere(db, s.guild_id, lu, sam)
    names = {t for t, _ in tables}
    # SQLite's own schema, not a list kept by hand: every feature's tables are in it.
    assert {"attendance_events", "attendance_prefs", "circles", "circle_overwrites", "gentle_reminders"} <= names
    assert all(n >= 1 for n in (await rows_naming(db, tables, lu)).values())
    others_before = await rows_naming(db, tables, sam)

    # Export: by DM, one JSON file, with every one of those tables and the member's rows in it.
    await s.slash("Lu", "privacy export")
    assert "direct message" in s.last_reply("Lu")["content"]
    assert s.dms_to("Lu")[-1]["content"].startswith("Here is everything I keep about you")
    exported = exported_tables(s)
    assert missing_from_export(tables, exported) == []
    assert exported["circles"][0]["opened_by_you"] is True
    assert "state" not in exported["circles"][0]  # it names the other people in the circle too
    assert all(sam not in row.values() for rows in exported.values() for row in rows)

    # Delete: asks first; after the confirm button, no row in any of those tables names the member.
    await s.slash("Lu", "privacy delete")
    prompt = s.last_reply("Lu")
    assert prompt["flags"] & EPHEMERAL and "can't be undone" in prompt["content"]
    await s.click("Lu", prompt, "Delete my data")
    assert s.last_reply("Lu")["content"].startswith("Done. I deleted")
    assert await rows_naming(db, tables, lu) == dict.fromkeys(names, 0)
    # The circle stays for the group, and its saved state no longer names the member; others' rows are untouched.
    circle = await s.bot.store.circles.get(1)
    assert circle is not None and circle.facilitator_user_id is None and circle.state["participants"] == [sam]
    assert await rows_naming(db, tables, sam) == others_before

    # And an export now finds nothing.
    await s.slash("Lu", "privacy export")
    assert all(rows == [] for rows in exported_tables(s).values())


async def test_a_table_added_without_privacy_support_fails_the_check(standin: FileKeepingStandIn) -> None:
    """The checks above have teeth: a new feature's table that no repository exports or deletes is caught."""
    s = standin
    assert s.bot is not None
    db = s.bot.db
    await db.execute("CREATE TABLE later_feature (guild_id INTEGER NOT NULL, helper_user_id INTEGER NOT NULL)")
    lu = s.user_id("Lu")
    tables = await seed_everywhere(db, s.guild_id, lu, s.user_id("Sam"))
    assert ("later_feature", ["helper_user_id"]) in tables
    await s.slash("Lu", "privacy export")
    assert missing_from_export(tables, exported_tables(s)) == ["later_feature"]
    await s.slash("Lu", "privacy delete")
    await s.click("Lu", s.last_reply("Lu"), "Delete my data")
    assert {t: n for t, n in (await rows_naming(db, tables, lu)).items() if n} == {"later_feature": 1}


async def test_export_comes_here_when_dms_are_closed(standin: FileKeepingStandIn) -> None:
    s = standin
    s.closed_dms.add(s.user_id("Lu"))
    await open_and_start(s, "Ken", "Lu")
    await s.slash("Lu", "privacy export")
    reply = s.last_reply("Lu")
    assert reply["flags"] & EPHEMERAL
    assert "direct messages are closed" in reply["content"]
    assert s.dms_to("Lu") == []
    assert [e["kind"] for e in exported_tables(s)["attendance_events"]] == ["joined"]


async def test_delete_asks_first_and_only_the_member_can_confirm(standin: FileKeepingStandIn) -> None:
    s = standin
    assert s.bot is not None
    await open_and_start(s, "Ken", "Lu")
    await s.slash("Rosa", "circle end")
    count = "SELECT count(*) AS n FROM attendance_events WHERE user_id = ?"
    await s.slash("Lu", "privacy delete")
    prompt = s.last_reply("Lu")
    await s.click("Ken", prompt, "Delete my data")
    assert "Only the person who asked" in s.last_reply("Ken")["content"]
    await s.click("Lu", prompt, "Keep it")
    assert "Nothing was deleted" in s.last_reply("Lu")["content"]
    row = await s.bot.db.fetchone(count, (s.user_id("Lu"),))
    assert row is not None and row["n"] == 1


async def test_a_running_circle_keeps_what_it_needs_to_put_the_channel_back(standin: FileKeepingStandIn) -> None:
    """Deleting mid-circle: the record of the overwrite the bot gave the holder stays until the channel is restored.

    Deleting it early would leave that member's permission in the channel for good when the circle ends.
    """
    s = standin
    assert s.bot is not None
    db = s.bot.db
    ken = s.user_id("Ken")
    before = dict(s.overwrites(s.channel_id("circle-room")))
    await open_and_start(s, "Ken", "Mia")
    assert (await circle_state(s)).holder == ken
    await s.slash("Ken", "privacy delete")
    await s.click("Ken", s.last_reply("Ken"), "Delete my data")
    assert "still going" in s.last_reply("Ken")["content"]
    kept = await db.fetchall("SELECT user_id FROM circle_overwrites WHERE user_id = ?", (ken,))
    assert len(kept) == 1
    # The circle carries on for Ken exactly as before.
    await s.slash("Ken", "circle pass")
    await s.slash("Mia", "circle pass")
    assert (await circle_state(s)).status == Status.ENDED
    assert dict(s.overwrites(s.channel_id("circle-room"))) == before
    # Once it has ended, deleting again leaves nothing naming Ken anywhere.
    await s.slash("Ken", "privacy delete")
    await s.click("Ken", s.last_reply("Ken"), "Delete my data")
    assert "still going" not in s.last_reply("Ken")["content"]
    naming = await rows_naming(db, await db.user_tables(), ken)
    assert {t: n for t, n in naming.items() if n} == {}
    assert ken not in (await circle_state(s)).participants


async def test_delete_can_keep_tracking_off(standin: FileKeepingStandIn) -> None:
    s = standin
    assert s.bot is not None
    lu = s.user_id("Lu")
    await s.slash("Lu", "privacy tracking", setting="off")
    await s.slash("Lu", "privacy delete")
    prompt = s.last_reply("Lu")
    assert "Delete, keep tracking off" in json.dumps(prompt["components"])
    await s.click("Lu", prompt, "Delete, keep tracking off")
    assert "tracking stays off" in s.last_reply("Lu")["content"]
    rows = await s.bot.db.fetchall(
        "SELECT tracking, celebrate, milestone FROM attendance_prefs WHERE user_id = ?", (lu,)
    )
    assert [tuple(r) for r in rows] == [(0, 0, 0)]
    await open_and_start(s, "Ken", "Lu")
    assert await s.bot.db.fetchall("SELECT 1 FROM attendance_events WHERE user_id = ?", (lu,)) == []


async def test_privacy_show_covers_every_feature_in_plain_words(standin: FileKeepingStandIn) -> None:
    s = standin
    await s.slash("Lu", "privacy show")
    text = s.last_reply("Lu")["content"]
    assert s.last_reply("Lu")["flags"] & EPHEMERAL
    assert len(text) <= 2000
    assert "I never keep what you say" in text
    features = ("Circles", "Recurring circles", "Gentle reminders", "Voice circles", "Attendance", "Your choices here")
    for feature in (*features, "Prompts", "Guidelines", "Crisis care"):
        assert f"**{feature}**" in text
    assert "24 hours" in text and "Never your words" in text
    assert "**Right now:** nothing at all." in text
    await open_and_start(s, "Ken", "Lu")
    await s.slash("Lu", "privacy show")
    assert "**Right now:** 1 attendance note, 1 circle that names you." in s.last_reply("Lu")["content"]


async def test_every_user_table_is_explained_by_privacy_show() -> None:
    """A table that /privacy show's counts have no words for would read as a raw table name."""
    from cogs.privacy.commands import TABLE_WORDS

    db = await Database.open(":memory:")
    try:
        await db.migrate()
        tables = {t for t, _ in await db.user_tables()}
    finally:
        await db.close()
    assert tables - set(TABLE_WORDS) == set()
