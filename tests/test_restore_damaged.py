"""One unreadable circle row at start-up ends that circle alone and puts its channel back; the rest come back
(issue 21, item 9)."""

from __future__ import annotations

from pathlib import Path

from bot.domain.circle import CircleState, Status
from bot.testing import StandIn


def overwrites(s: StandIn, channel: str) -> list:
    return sorted((o["id"], o["allow"], o["deny"]) for o in s.channel(s.channel_id(channel))["permission_overwrites"])


async def run_circle(s: StandIn, room: str) -> None:
    await s.slash("Rosa", "circle open", room, turn_minutes=1.0)
    for name in ("Ken", "Mia"):
        await s.slash(name, "circle join", room)
    await s.slash("Rosa", "circle start", room)


async def test_a_damaged_circle_row_ends_alone_and_the_others_restore(tmp_path: Path) -> None:
    async with StandIn(database_path=tmp_path / "bot.db") as s:
        assert s.bot is not None
        before = {room: overwrites(s, room) for room in ("circle-room", "general")}
        await run_circle(s, "circle-room")
        await run_circle(s, "general")
        damaged = await s.bot.store.circles.active_in_channel(s.channel_id("circle-room"))
        healthy = await s.bot.store.circles.active_in_channel(s.channel_id("general"))
        assert damaged is not None and healthy is not None
        holder = CircleState.from_json(healthy.state).holder
        await s.bot.db.execute("UPDATE circles SET state = '{not json' WHERE id = ?", (damaged.id,))
        await s.restart()
        assert s.bot is not None
        row = await s.bot.store.circles.get(damaged.id)
        assert row is not None and row.status == Status.ENDED.value
        assert overwrites(s, "circle-room") == before["circle-room"]  # its channel is as it was
        assert "couldn't read this circle's saved state" in s.dms_to("Rosa")[-1]["content"]
        await s.advance(61)  # the healthy circle came back and its turn moves on
        fresh = await s.bot.store.circles.get(healthy.id)
        assert fresh is not None and CircleState.from_json(fresh.state).holder != holder
        assert s.errors == []
