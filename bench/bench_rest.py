"""Paced REST calls: 100 text circles whose turns all end in the same second, on the offline stand-in Discord.

The stand-in enforces Discord's global limit of 50 REST calls a second (real time) and records every call over it as
a 429. The bot's one outgoing budget (`bot/pacing.py`) spreads the burst. Prints how many calls the burst made,
how many drew a 429, how long the slowest circle's turn change waited from the moment the turns ended until its
announcement went out, and the calls per second achieved. Prints figures; asserts nothing.

Run: .venv/bin/python bench/bench_rest.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bot.testing import StandIn
from bot.testing.crowds import crowded_guild, start_circles

CIRCLES = 100


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with StandIn(database_path=Path(folder) / "bot.db", guild=crowded_guild(CIRCLES)) as s:
            started = time.perf_counter()
            await start_circles(s, CIRCLES)
            print(f"set-up: {CIRCLES} circles opened, joined and started in {time.perf_counter() - started:.1f} s")
            await s.advance(59)
            assert s.bot is not None
            stamps: dict[int, float] = {}
            record = s._record

            def timed(route, body):  # type: ignore[no-untyped-def]
                params = record(route, body)
                stamps[len(s.calls) - 1] = time.perf_counter()
                return params

            s._record = timed  # type: ignore[method-assign]
            mark = s.mark()
            limited = len(s.rate_limited)
            waits_before = (s.bot.pacer.waited_calls, s.bot.pacer.longest_wait)
            began = time.perf_counter()
            await s.advance(1)
            took = time.perf_counter() - began
            calls = s.since(mark)
            announced: dict[str, float] = defaultdict(float)
            for index, call in enumerate(calls, start=mark):
                if call.method == "POST" and call.path == "/channels/{channel_id}/messages":
                    announced[call.params["channel_id"]] = stamps[index] - began
            waits = sorted(announced.values())
            slowest, median = waits[-1], waits[len(waits) // 2]
            pacer = s.bot.pacer
            print(f"turn changes: {len(announced)} circles in the same second, {len(calls)} REST calls")
            print(f"429s from the stand-in (global 50/s): {len(s.rate_limited) - limited}")
            print(f"slowest circle's turn change waited {slowest:.2f} s (median {median:.2f} s)")
            rate = len(calls) / took
            print(f"burst sent in {took:.2f} s: {rate:.1f} calls/s (budget {pacer.rate:g}/s + {pacer.burst} burst)")
            print(f"calls that waited for the budget: {pacer.waited_calls - waits_before[0]}")


if __name__ == "__main__":
    asyncio.run(main())
