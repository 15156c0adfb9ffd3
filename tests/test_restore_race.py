"""A command handled while a shard restores its circles is kept: the restore holds the circles' locks.

Before, `CircleKeeper.restore` read every active circle, stepped it and wrote the result in one
batch; `CircleShell.restore_all` takes `keeper.lock` only afterwards, for Discord. A command on a circle of that
shard handled in between (the server's events already flow before `shard_ready`: `circle_in` reads the database
for exactly that window) is saved first and then overwritten by the restore's stale copy: the member was told
"you joined", but the circle no longer has them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from circle_helpers import circle_state

from bot.db.repos.circles import CircleRepo
from bot.testing import StandIn


async def test_a_join_handled_while_the_shard_restores_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with StandIn(database_path=tmp_path / "bot.db") as s:
        await s.slash("Rosa", "circle open", "circle-room", turn_minutes=3.0)
        for name in ("Ken", "Mia"):
            await s.slash(name, "circle join", "circle-room")
        await s.slash("Rosa", "circle start", "circle-room")

        active = CircleRepo.active
        joined: list[str] = []

        async def active_then_a_join(self: CircleRepo) -> list[Any]:
            rows = await active(self)
            if not joined:
                # Lu's /circle join arrives while the restore is between its read and its write.
                assert s.bot is not None
                data = s.slash_payload(s.user_id("Lu"), "circle join", s.channel_id("circle-room"))
                joined.append(data["token"])
                s.feed_now("INTERACTION_CREATE", data)
                await asyncio.sleep(0.2)
            return rows

        monkeypatch.setattr(CircleRepo, "active", active_then_a_join)
        await s.restart()
        await s.settle()
        assert joined
        state = await circle_state(s, "circle-room")
        assert s.user_id("Lu") in state.participants, (s.last_reply("Lu").get("content"), state.participants)
