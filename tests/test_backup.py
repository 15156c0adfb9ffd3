"""`python -m bot backup` while the bot writes, `restore` with its checks, `check` on an unwritable database path,
and every CLI command quiet on a closed pipe."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_cli import _run

from bot.backup import BackupError, backup, latest_schema, restore
from bot.checks import database_path_problem
from bot.db.store import Store
from bot.domain.circle import CircleSettings, open_circle

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)


async def _write_circles(store: Store, stop: threading.Event, committed: list[int], per_second: int) -> None:
    state = open_circle(CircleSettings())
    gap = 1 / per_second
    next_at = time.perf_counter()
    channel = 1
    while not stop.is_set():
        circle_id = await store.circles.create(
            guild_id=1,
            channel_id=channel,
            channel_kind="text",
            status="ended",  # ended circles: one channel may hold many, so every write is a new row
            state=state.to_json(),
            facilitator_user_id=None,
            now=NOW,
        )
        committed.append(circle_id)
        channel += 1
        next_at += gap
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


async def test_a_backup_taken_during_a_thousand_writes_a_second_is_whole_and_holds_every_committed_circle(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.db"
    store = await Store.open(database)
    committed: list[int] = []
    stop = threading.Event()
    try:
        writer = asyncio.create_task(_write_circles(store, stop, committed, per_second=1000))
        await asyncio.sleep(0.5)  # a few hundred circles in before the backup starts
        before = len(committed)
        assert before > 100
        copy = await asyncio.to_thread(backup, database, tmp_path / "backups" / "copy.db")
        during = len(committed)
        await asyncio.sleep(0.2)
        stop.set()
        await writer
    finally:
        await store.close()
    assert copy.schema_version == latest_schema()
    conn = sqlite3.connect(copy.path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [row[0] for row in conn.execute("SELECT id FROM circles ORDER BY id")]
    finally:
        conn.close()
    # Every circle committed before the backup began is in it, and the copy is one moment: ids 1..n, no gaps.
    assert set(committed[:before]) <= set(ids)
    assert ids == list(range(1, len(ids) + 1))
    assert before <= len(ids) <= during
    assert not copy.path.with_name(copy.path.name + "-wal").exists()  # one self-contained file

    # Restore it over a database that went on changing: the old one is kept aside, the copy is now the database.
    result = restore(copy.path, database)
    assert result.circles == len(ids)
    restored = await Store.open(database)
    try:
        assert [r["id"] for r in await restored.db.fetchall("SELECT id FROM circles ORDER BY id")] == ids
    finally:
        await restored.close()
    assert database.with_name("bot.db.before-restore").exists()


async def test_restore_refuses_a_newer_schema_a_damaged_file_and_a_running_bot(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    store = await Store.open(database)
    await store.close()
    copy = backup(database, tmp_path / "copy.db")

    newer = tmp_path / "newer.db"
    newer.write_bytes(copy.path.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {latest_schema() + 1}")
    conn.close()
    with pytest.raises(BackupError, match="newer than this version"):
        restore(newer, database)

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a database"):
        restore(junk, database)

    # The bot holds the database open (a -wal file in use): refused unless forced.
    running = await Store.open(database)
    try:
        await running.db.execute("INSERT INTO guild_config (guild_id, updated_at) VALUES (1, 'x')")
        with pytest.raises(BackupError, match="Stop it first"):
            restore(copy.path, database)
    finally:
        await running.close()
    before = database.read_bytes()
    with pytest.raises(BackupError):
        backup(database, copy.path)  # never overwrites an existing file
    assert database.read_bytes() == before


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.db"
    env = {"DATABASE_PATH": str(database)}
    missing = _run("backup", cwd=tmp_path, env_extra=env)
    assert missing.returncode == 1 and "no database" in missing.stderr and "Traceback" not in missing.stderr
    asyncio.run(_make(database))
    made = _run("backup", str(tmp_path / "copy.db"), cwd=tmp_path, env_extra=env)
    assert made.returncode == 0, made.stderr
    assert "Backed up" in made.stdout and "schema version" in made.stdout
    dated = _run("backup", cwd=tmp_path, env_extra=env)
    assert dated.returncode == 0 and list((database.parent / "backups").glob("bot-*.db"))
    back = _run("restore", str(tmp_path / "copy.db"), cwd=tmp_path, env_extra=env)
    assert back.returncode == 0, back.stderr
    assert "Restored" in back.stdout


async def _make(database: Path) -> None:
    store = await Store.open(database)
    await store.close()


def test_database_path_problems_are_named(tmp_path: Path) -> None:
    assert database_path_problem(tmp_path / "new" / "bot.db") is None
    assert database_path_problem(Path(":memory:")) is None
    assert "is a folder" in (database_path_problem(tmp_path) or "")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "is a file" in (database_path_problem(blocker / "bot.db") or "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere, so a read-only folder is not read-only")
def test_check_fails_clearly_when_the_database_folder_is_not_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = _run("check", cwd=tmp_path, env_extra={"DATABASE_PATH": str(locked / "bot.db")})
    finally:
        locked.chmod(0o700)
    assert result.returncode == 1
    assert "I can't create files in" in result.stdout and "DATABASE_PATH" in result.stdout


def test_check_fails_clearly_when_the_database_path_is_a_folder(tmp_path: Path) -> None:
    result = _run("check", cwd=tmp_path, env_extra={"DATABASE_PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "is a folder, not a file" in result.stdout and "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", [["check"], ["replay", str(ROOT / "docs" / "demo_circle.json")], ["demo"]])
def test_every_command_is_quiet_on_a_closed_pipe(tmp_path: Path, command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_PATH"] = str(tmp_path / "bot.db")
    line = " ".join([sys.executable, "-m", "bot", *command])
    result = subprocess.run(
        ["sh", "-c", f"{line} | head -n 1"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
