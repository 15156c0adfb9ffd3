"""`Database.batch` runs a whole transaction in one hop to aiosqlite's thread through its private `_execute`.

aiosqlite has no public "run this function on the connection's thread", so the project pins it below its next
minor version (pyproject.toml) and this test fails loudly, naming the reason, if an upgrade takes the method away
or changes what it does, instead of every turn change failing at run time.
"""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

import aiosqlite

from bot.db.database import Database, Statement

REASON = (
    "aiosqlite.Connection._execute(fn, *args) is gone or changed: bot/db/database.py's Database.batch relies on it "
    "to run one transaction in one hop to the database thread. Keep aiosqlite below the version that changed it "
    "(pyproject.toml) or give batch another way onto the connection's thread."
)


def test_the_private_method_batch_needs_is_still_there() -> None:
    execute = getattr(aiosqlite.Connection, "_execute", None)
    assert execute is not None and inspect.iscoroutinefunction(execute), REASON
    parameters = list(inspect.signature(execute).parameters)
    assert parameters[:2] == ["self", "fn"], REASON
    assert hasattr(aiosqlite.Connection, "_conn"), REASON


async def test_batch_runs_on_the_connections_own_thread_and_commits(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "contract.db")
    try:
        await db.migrate()
        seen: list[sqlite3.Connection] = []
        original = db._conn._execute

        async def spying(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.extend(a for a in args if isinstance(a, sqlite3.Connection))
            return await original(fn, *args, **kwargs)

        db._conn._execute = spying  # type: ignore[method-assign]
        await db.batch([Statement("INSERT INTO guild_config (guild_id, updated_at) VALUES (?, ?)", (7, "now"))])
        assert seen, REASON
        row = await db.fetchone("SELECT guild_id FROM guild_config WHERE guild_id = 7")
        assert row is not None, REASON
    finally:
        await db.close()
