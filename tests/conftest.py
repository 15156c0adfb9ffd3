"""Shared fixtures: a running stand-in Discord with the bot on it, on a fresh SQLite file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.testing import StandIn


@pytest.fixture
async def discord_standin(tmp_path: Path) -> AsyncIterator[StandIn]:
    standin = StandIn(database_path=tmp_path / "bot.db")
    await standin.start()
    try:
        yield standin
    finally:
        await standin.close()
    # Every test fails on any ERROR logged by discord.py, APScheduler, asyncio or the bot itself.
    assert standin.errors == [], f"errors were logged: {standin.errors}"


@pytest.fixture
def no_errors_expected() -> bool:
    return True
