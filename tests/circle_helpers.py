"""Small helpers for circle tests on the stand-in."""

from __future__ import annotations

from typing import Any

from bot.domain.circle import CircleState
from bot.testing import StandIn

SEND = 2048


async def circle_state(s: StandIn, channel: str = "circle-room") -> CircleState:
    assert s.bot is not None
    row = await s.bot.db.fetchone(
        "SELECT state FROM circles WHERE channel_id = ? ORDER BY id DESC LIMIT 1", (s.channel_id(channel),)
    )
    assert row is not None
    import json

    return CircleState.from_json(json.loads(row[0]))


def can_post(s: StandIn, name: str, channel: str = "circle-room") -> bool:
    return s.can_post(name, channel)


async def open_and_start(s: StandIn, *members: str, **options: Any) -> None:
    await s.slash("Rosa", "circle open", **options)
    for name in members:
        await s.slash(name, "circle join")
    await s.slash("Rosa", "circle start")


def overwrite_snapshot(s: StandIn, channel: str = "circle-room") -> dict[int, tuple[int, int, int]]:
    return {
        int(o["id"]): (int(o["type"]), int(o["allow"]), int(o["deny"]))
        for o in s.channel(s.channel_id(channel))["permission_overwrites"]
    }


def calls_of(calls: list[Any], method: str, path_end: str) -> list[Any]:
    return [c for c in calls if c.method == method and c.path.endswith(path_end)]
