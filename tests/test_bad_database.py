"""A bad database file makes the bot exit promptly with a plain message, and `check` names it (issue 21, item 13)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_shutdown import BotProcess, fake  # noqa: F401  (the loopback Discord fixture)

from tests.loopback_discord import LoopbackDiscord

ROOT = Path(__file__).resolve().parent.parent


def corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a database, it is only text " * 100)


def newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()


def a_folder(path: Path) -> None:
    path.mkdir()


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "corrupt": (corrupt, "not a database"),
    "newer": (newer, "newer"),
    "folder": (a_folder, "folder"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
async def test_the_bot_exits_promptly_with_a_plain_message(
    tmp_path: Path,
    fake: LoopbackDiscord,  # noqa: F811
    kind: str,
) -> None:
    make, words = BAD[kind]
    database = tmp_path / "circles.db"
    make(database)
    bot = await BotProcess.start(fake, database, tmp_path)
    try:
        status = await asyncio.wait_for(bot.proc.wait(), 30)
    finally:
        if bot.proc.returncode is None:
            bot.proc.kill()
            await bot.proc.wait()
        await asyncio.gather(bot._reader, return_exceptions=True)
    assert status == 2, bot.log
    assert words in bot.log.lower() and "DATABASE_PATH" in bot.log
    assert "Traceback" not in bot.log


@pytest.mark.parametrize("kind", sorted(BAD))
def test_check_names_a_bad_database_file(tmp_path: Path, kind: str) -> None:
    make, words = BAD[kind]
    database = tmp_path / "circles.db"
    make(database)
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert words in result.stdout.lower() and "Traceback" not in result.stdout + result.stderr


def test_a_broken_data_file_at_start_gives_checks_words_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from discord.ext import commands

    import bot.runner
    from bot.__main__ import main
    from bot.domain.datafiles import DataFileError

    async def broken(settings: object, **options: object) -> None:
        raise commands.ExtensionFailed("cogs.prompts", DataFileError("prompts/gratitude.toml", 'depth "deeper"'))

    monkeypatch.setattr(bot.runner, "serve", broken)
    monkeypatch.setattr("bot.__main__.configure_logging", lambda level: None)  # leave the test run's logging be
    monkeypatch.setenv("DISCORD_TOKEN", "a-token")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert 'Data file problem: prompts/gratitude.toml: depth "deeper"' in err and "Traceback" not in err
