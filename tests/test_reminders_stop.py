"""A stop in the middle of a reminder batch: the next start sends the rest, and nobody gets a reminder twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from test_series_e2e import SESSION, schedule, standin_at, until

from bot.testing import StandIn


def reminders_to(s: StandIn, name: str) -> list[dict[str, Any]]:
    return [m for m in s.dms_to(name) if "gentle reminder" in m["content"] and "starts" in m["content"]]


async def test_a_stop_mid_batch_leaves_the_rest_to_the_next_start_and_sends_none_twice(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00")
        for name in ("Ken", "Mia", "Lu"):
            await s.slash(name, "circle remind", series="Grief circle", setting="on")
        assert s.bot is not None
        reminders = s.bot.get_cog("Circles").series.reminders  # type: ignore[union-attr]
        recorded = reminders.repo.reminder_sent
        closing: list[asyncio.Task[None]] = []

        async def stop_after_the_first(*args: Any) -> None:
            await recorded(*args)
            if not closing:  # the process is told to stop right after the first DM went out
                assert s.bot is not None
                closing.append(asyncio.create_task(s.bot.scheduler.shutdown()))
                await asyncio.sleep(0)  # the stop begins (as a signal handler's would) before the next DM

        reminders.repo.reminder_sent = stop_after_the_first  # type: ignore[method-assign]
        await until(s, SESSION - timedelta(hours=1))
        await asyncio.gather(*closing)
        got = {name: len(reminders_to(s, name)) for name in ("Ken", "Mia", "Lu")}
        assert sum(got.values()) == 1, got  # the batch stopped after one DM

        await s.restart()  # the next start: the batch goes on for those without a record
        await s.settle()
        assert {name: len(reminders_to(s, name)) for name in ("Ken", "Mia", "Lu")} == {"Ken": 1, "Mia": 1, "Lu": 1}
        await s.restart()  # and a start after that sends nothing more
        await s.advance(60)
        assert {name: len(reminders_to(s, name)) for name in ("Ken", "Mia", "Lu")} == {"Ken": 1, "Mia": 1, "Lu": 1}
        assert s.errors == []
