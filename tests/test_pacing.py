"""Paced REST calls: one budget under Discord's global 50 a second, first come first served, each circle in order."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import pytest

from bot.pacing import RestPacer
from bot.testing import StandIn
from bot.testing.crowds import crowded_guild, start_circles


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_no_second_ever_holds_more_than_the_budget_and_callers_keep_their_order() -> None:
    clock = FakeTime()
    pacer = RestPacer(rate=40, burst=10, now=clock, sleep=clock.sleep)
    served: list[tuple[int, float]] = []

    async def caller(number: int) -> None:
        await pacer.acquire()
        served.append((number, clock.now))

    await asyncio.gather(*(caller(n) for n in range(300)))
    assert [n for n, _ in served] == list(range(300))  # first come, first served
    times = [t for _, t in served]
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t - start < 1.0)
        assert in_window <= 50, (i, in_window)
    assert pacer.waited_calls == 290 and pacer.longest_wait == pytest.approx((300 - 10) / 40, rel=0.01)


def test_the_pacer_refuses_a_budget_that_lets_nothing_through() -> None:
    with pytest.raises(ValueError):
        RestPacer(rate=0)
    with pytest.raises(ValueError):
        RestPacer(burst=0)


async def test_a_hundred_circles_changing_turns_in_the_same_second_draw_no_429_and_keep_their_order(
    tmp_path: Path,
) -> None:
    async with StandIn(database_path=tmp_path / "bot.db", guild=crowded_guild(100)) as s:
        await start_circles(s, 100)
        await s.advance(59)  # each holder's heads-up, 20 s before the end
        assert s.rate_limited == []
        mark = s.mark()
        await s.advance(1)  # every circle's first turn ends at this same moment
        calls = s.since(mark)
        assert s.rate_limited == []  # the stand-in enforces Discord's 50 a second: none went over
        by_channel: dict[str, list[str]] = defaultdict(list)
        for call in calls:
            by_channel[call.params.get("channel_id", "")].append(f"{call.method} {call.path}")
        turned = [c for c in by_channel.values() if any(p.endswith("/messages") for p in c)]
        assert len(turned) >= 100
        for sequence in turned:
            # A turn change moves the stick (overwrites) before it announces the new holder.
            posts = [i for i, p in enumerate(sequence) if p == "POST /channels/{channel_id}/messages"]
            moves = [i for i, p in enumerate(sequence) if "/permissions/" in p]
            assert moves and posts and max(moves) < min(posts), sequence
        assert s.bot is not None and s.bot.pacer.waited_calls > 0  # the burst was spread, not sent at once
