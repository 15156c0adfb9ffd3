"""One aiosqlite connection, the migration runner and the transaction helper.

The bot is one process with one connection. Every write goes through `transaction()`, which holds an asyncio lock
so that two handlers never interleave statements inside each other's transaction. A task that is already inside a
transaction joins it instead of waiting for itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Statement:
    """One write for `Database.batch`: `params` is a row, or a list of rows when `many`."""

    sql: str
    params: Sequence[Any] = ()
    many: bool = False


class MigrationError(Exception):
    """The migrations folder is not a clean numbered sequence."""


class DatabaseProblem(Exception):
    """The database file can't be used (damaged, a folder, read-only, made by a newer version): say so plainly."""


HINT = "Point DATABASE_PATH at a good file (or a new one), or restore a backup (`python -m bot restore`)."


def _prepare(target: str) -> None:
    """Refuse a folder; make the folder a new database file goes in."""
    if Path(target).is_dir():
        raise DatabaseProblem(f"The database path {target} is a folder, not a file. {HINT}")
    Path(target).parent.mkdir(parents=True, exist_ok=True)


def load_migrations() -> list[tuple[int, str, str]]:
    """Return `(number, name, sql)` for every shipped migration, in order, checking the numbering."""
    folder = resources.files("bot.db") / "migrations"
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if entry.name.endswith(".sql") and not match:
            raise MigrationError(f"{entry.name}: migration files are named NNNN_some_name.sql")
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (number, name, _) in enumerate(found, start=1):
        if number != expected:
            raise MigrationError(f"{name}: expected migration number {expected:04d}; numbers must not skip")
    return found


class Database:
    """The bot's SQLite database: statements and transactions. It knows no repository (`bot/db/store.py` wires them)."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) the database file, with WAL, foreign keys and a busy timeout."""
        target = str(path)
        if target != ":memory:":
            _prepare(target)
        try:
            conn = await aiosqlite.connect(target, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseProblem(f"I can't open the database {target} ({exc}). {HINT}") from None
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
        except sqlite3.Error as exc:
            # Close it, or its thread keeps the process alive after the error.
            await conn.close()
            text = str(exc).lower()
            words = (
                "can't be written (it is read-only)"
                if "readonly" in text or "read-only" in text
                else "is not a database"
                if "not a database" in text or "malformed" in text
                else "can't be used"
            )
            raise DatabaseProblem(f"The file {target} {words} ({exc}). {HINT}") from None
        return cls(conn, target)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than `PRAGMA user_version`; return the resulting version."""
        current = await self.schema_version()
        shipped = load_migrations()
        if current > len(shipped):
            raise DatabaseProblem(
                f"The database {self.path} was made by a newer version of the bot (schema {current}; this one knows "
                f"{len(shipped)}). Run the newer version, restore a backup made by this one, or point DATABASE_PATH at "
                "another file."
            )
        for number, name, sql in shipped:
            if number <= current:
                continue
            log.info("applying migration %s", name)
            async with self._lock:
                # executescript commits on its own, so the whole file and the version bump run as one script.
                await self._conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n;PRAGMA user_version = {number};\nCOMMIT;")
            current = number
        return current

    def _in_my_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Run the block's statements in one transaction: all or nothing."""
        if self._in_my_transaction():
            yield
            return
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            self._owner = asyncio.current_task()
            try:
                yield
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")
            finally:
                self._owner = None

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[None]:
        if self._in_my_transaction():
            yield
        else:
            async with self._lock:
                yield

    # Each aiosqlite call is a hop to its worker thread and back. A single statement in autocommit mode is already
    # atomic, so it needs no BEGIN/COMMIT of its own; reads fetch all rows in the same hop as the query.

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        if self._in_my_transaction():
            yield
        else:
            async with self._lock:
                yield

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement (atomic on its own, or part of the caller's transaction); return the last row id."""
        async with self._writing():
            cursor = await self._conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement; return how many rows it changed."""
        async with self._writing():
            cursor = await self._conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction():
            await self._conn.executemany(sql, rows)

    async def batch(self, statements: Sequence[Statement]) -> None:
        """Run several writes as one transaction in one hop to the database thread: all or nothing."""
        if not statements:
            return

        def run(conn: sqlite3.Connection) -> None:
            nested = conn.in_transaction
            if not nested:
                conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    if statement.many:
                        conn.executemany(statement.sql, statement.params)
                    else:
                        conn.execute(statement.sql, statement.params)
            except BaseException:
                if not nested:
                    conn.execute("ROLLBACK")
                raise
            if not nested:
                conn.execute("COMMIT")

        async with self._writing():
            # aiosqlite has no public "run this function on the connection's thread"; `_execute` is what every
            # one of its own methods uses. One hop instead of four makes a turn change about twice as fast.
            await self._conn._execute(run, self._conn._conn)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._reading():
            rows = await self._conn.execute_fetchall(sql, params)
        for row in rows:
            return row  # type: ignore[no-any-return]
        return None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._reading():
            return list(await self._conn.execute_fetchall(sql, params))

    async def user_tables(self) -> list[tuple[str, list[str]]]:
        """Every table with a column that holds a Discord user id, read from SQLite's own schema."""
        tables = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        found: list[tuple[str, list[str]]] = []
        for table in tables:
            columns = await self.fetchall(f"PRAGMA table_info({table['name']})")
            user_columns = [c["name"] for c in columns if c["name"] == "user_id" or c["name"].endswith("_user_id")]
            if user_columns:
                found.append((table["name"], user_columns))
        return found
