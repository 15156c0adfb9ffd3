"""`python -m bot backup [PATH]` and `restore PATH`: a consistent copy while the bot runs, and a careful way back.

The backup uses SQLite's online backup API from a connection of its own, in one step: the whole copy is read
inside one read transaction, so it is one committed moment of the database, never half of a transaction, and in
WAL mode the bot goes on writing meanwhile (a copy made in small steps would start again after every write of the
bot's and, on a busy server, might never finish). The restore checks the copy
first (it must be a database whose schema this version of the bot knows, and it must pass SQLite's own integrity
check), refuses while the bot seems to be running, and then swaps the file in at once.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.db.database import load_migrations


class BackupError(Exception):
    """Something about the files is not right; the message says what, in plain words."""


@dataclass(frozen=True, slots=True)
class Copy:
    path: Path
    schema_version: int
    circles: int


def default_backup_path(database: Path, now: datetime) -> Path:
    """Beside the database: `empathy-circles-2026-12-07T190000Z.db` in a `backups` folder."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    return database.parent / "backups" / f"{database.stem}-{stamp}{database.suffix or '.db'}"


def latest_schema() -> int:
    return len(load_migrations())


def _inspect(path: Path) -> Copy:
    """The copy's schema version and size, after SQLite's integrity check; raises BackupError if it fails."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} can't be opened as a database ({exc}).") from None
    try:
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a database the bot can read ({exc}).") from None
        if verdict is None or verdict[0] != "ok":
            raise BackupError(f"{path} fails SQLite's integrity check ({verdict[0] if verdict else 'no answer'}).")
        has_circles = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'circles'").fetchone()
        circles = int(conn.execute("SELECT count(*) FROM circles").fetchone()[0]) if has_circles else 0
    finally:
        conn.close()
    return Copy(path, version, circles)


def backup(database: Path, target: Path) -> Copy:
    """Copy the live database to `target` (a new file) with SQLite's online backup; return what was copied."""
    if not database.exists():
        raise BackupError(f"There is no database at {database} to back up. Check DATABASE_PATH.")
    if target.exists():
        raise BackupError(f"{target} already exists; I won't overwrite a file. Pick another path.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(database, timeout=30)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest, pages=-1)  # one step: one snapshot, whatever the bot writes meanwhile
            dest.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file, with no -wal beside it
        finally:
            dest.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup could not be written to {target} ({exc}).") from None
    finally:
        source.close()
    copy = _inspect(partial)
    os.replace(partial, target)
    return Copy(target, copy.schema_version, copy.circles)


def restore(copy_path: Path, database: Path, *, force: bool = False) -> Copy:
    """Put a backup in place of the database, after checking it; the old database is kept beside it."""
    if not copy_path.exists():
        raise BackupError(f"There is no backup at {copy_path}.")
    copy = _inspect(copy_path)
    latest = latest_schema()
    if copy.schema_version > latest:
        raise BackupError(
            f"{copy_path} has schema version {copy.schema_version}, newer than this version of the bot knows "
            f"({latest}). Restore it with the version of the bot that made it."
        )
    if copy.schema_version < 1:
        raise BackupError(f"{copy_path} is not a backup of this bot's database (it has no schema version).")
    wal = database.with_name(database.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0 and not force:
        raise BackupError(
            f"The bot seems to be running ({wal.name} is in use). Stop it first, then restore; "
            "if you are sure it is stopped, add --force."
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(database.name + ".restoring")
    conn = sqlite3.connect(f"file:{copy_path}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(staged)
        try:
            conn.backup(dest)
        finally:
            dest.close()
    finally:
        conn.close()
    if database.exists():
        os.replace(database, database.with_name(database.name + ".before-restore"))
    for leftover in (wal, database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(staged, database)
    return Copy(database, copy.schema_version, copy.circles)
