"""The reminder moment passes while the bot is down; the start that follows DMs each member once.

Before, at start-up `SeriesService.restore_all` (cogs/circles/series.py:262) runs `fire`, whose `remind` claims the
session's "reminded" flag and starts a batch in the background, and then `reminders.resume` for the same session,
which sees the flag set but the records not yet written (the batch has only just begun: each DM is a REST round
trip, and in production DMs are a second apart) and starts a second batch for the same members.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from test_series_e2e import SESSION, schedule, standin_at, until

from bot.testing import StandIn


def reminders_to(s: StandIn, name: str) -> list[dict[str, Any]]:
    return [m for m in s.dms_to(name) if "gentle reminder" in m["content"] and "starts" in m["content"]]


async def test_a_start_inside_the_reminder_window_sends_each_reminder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    send = discord.abc.Messageable.send

    async def with_latency(self: Any, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.02)  # a DM takes a moment to go out, as it does over the network
        return await send(self, *args, **kwargs)

    monkeypatch.setattr(discord.abc.Messageable, "send", with_latency)
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00")
        for name in ("Ken", "Mia", "Lu"):
            await s.slash(name, "circle remind", series="Grief circle", setting="on")
        await until(s, SESSION - timedelta(hours=1, minutes=5))
        assert s.bot is not None
        await s.settle()
        await s.bot.close()
        s.bot = None
        s.clock.advance(10 * 60)  # the bot is down across the reminder moment (S - 1 h)
        await s.restart()
        await asyncio.sleep(0.5)
        await s.settle()
        got = {name: len(reminders_to(s, name)) for name in ("Ken", "Mia", "Lu")}
        assert got == {"Ken": 1, "Mia": 1, "Lu": 1}, got
