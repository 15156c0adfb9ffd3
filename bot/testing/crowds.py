"""Many circles at once on the stand-in: a server with `count` text channels, each with a running circle.

Used by the pacing test and `bench/bench_rest.py`, which need a burst of turn changes in the same second.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.testing.payloads import default_guild


def crowded_guild(count: int) -> dict[str, Any]:
    """The default server plus `count` text channels named circle-1 .. circle-N."""
    guild = default_guild()
    template = next(c for c in guild["channels"] if c["name"] == "circle-room")
    base = int(guild["id"]) + 10_000
    for number in range(1, count + 1):
        channel = copy.deepcopy(template)
        channel.update(id=str(base + number), name=f"circle-{number}", position=100 + number)
        guild["channels"].append(channel)
    return guild


async def start_circles(standin: Any, count: int, members: tuple[str, ...] = ("Ken", "Mia")) -> None:
    """Open, join and start a one-minute-turn circle in each of circle-1 .. circle-N (Rosa facilitates)."""
    for number in range(1, count + 1):
        channel = f"circle-{number}"
        await standin.slash("Rosa", "circle open", channel, turn_minutes=1.0)
        for name in members:
            await standin.slash(name, "circle join", channel)
        await standin.slash("Rosa", "circle start", channel)
