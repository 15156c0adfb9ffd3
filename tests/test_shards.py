"""Sharding: servers on different shards by Discord's rule, each shard restoring its own circles when it is
ready, and DM buttons that work for a server whose shard has not connected yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.domain.circle import CircleState, Status
from bot.settings import Settings
from bot.testing import StandIn, default_guild
from bot.testing.payloads import shard_of

ROOT = Path(__file__).resolve().parent.parent
ON_SHARD_3 = 1310000000000000001  # the stand-in's own server: (id >> 22) % 4 == 3
ON_SHARD_0 = 1310000000004194305
TIER2 = "i want to die"


def two_servers() -> list[dict[str, Any]]:
    return [default_guild(ON_SHARD_3), default_guild(ON_SHARD_0, suffix="-b")]


def overwrites(s: StandIn, channel: str) -> dict[str, tuple[int, int, int]]:
    return {
        o["id"]: (o["type"], int(o["allow"]), int(o["deny"]))
        for o in s.channel(s.channel_id(channel))["permission_overwrites"]
    }


async def run_circle(s: StandIn, suffix: str) -> None:
    room = f"circle-room{suffix}"
    await s.slash(f"Rosa{suffix}", "circle open", room, turn_minutes=1.0)
    for name in ("Ken", "Mia"):
        await s.slash(f"{name}{suffix}", "circle join", room)
    await s.slash(f"Rosa{suffix}", "circle start", room)


async def state_in(s: StandIn, channel: str) -> CircleState:
    assert s.bot is not None
    row = await s.bot.store.circles.active_in_channel(s.channel_id(channel))
    assert row is not None
    return CircleState.from_json(row.state)


def test_servers_sit_on_the_shard_discord_puts_them_on() -> None:
    assert shard_of(ON_SHARD_3, 4) == 3 and shard_of(ON_SHARD_0, 4) == 0
    assert shard_of(ON_SHARD_3, 1) == 0


def test_shard_settings_are_read_and_checked() -> None:
    settings = Settings(_env_file=None, shard_count="4", shard_ids="0-1,3")  # type: ignore[call-arg]
    assert settings.shard_count == 4 and settings.shard_ids == (0, 1, 3)
    with pytest.raises(ValueError, match="below SHARD_COUNT"):
        Settings(_env_file=None, shard_count="2", shard_ids="0-3")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="needs SHARD_COUNT"):
        Settings(_env_file=None, shard_ids="0")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="like 0,1"):
        Settings(_env_file=None, shard_count="2", shard_ids="zero")  # type: ignore[call-arg]


async def test_two_circles_on_different_shards_run_restart_mid_turn_and_put_every_channel_back(
    tmp_path: Path,
) -> None:
    async with StandIn(database_path=tmp_path / "bot.db", guilds=two_servers(), shards=4) as s:
        assert s.bot is not None and s.bot.shard_count == 4 and s.connected_shards == {0, 1, 2, 3}
        assert s.bot.get_guild(ON_SHARD_3).shard_id == 3 and s.bot.get_guild(ON_SHARD_0).shard_id == 0
        before = {room: overwrites(s, room) for room in ("circle-room", "circle-room-b")}
        await run_circle(s, "")
        await run_circle(s, "-b")
        for room in before:
            assert overwrites(s, room) != before[room]  # both channels are locked for their circle
            assert (await state_in(s, room)).status == Status.RUNNING
        holders = {room: (await state_in(s, room)).holder for room in before}
        await s.advance(30)
        await s.restart()  # mid-turn: each shard restores its own server's circle when it is ready
        for room in before:
            state = await state_in(s, room)
            assert state.status == Status.RUNNING and state.holder == holders[room]
        await s.advance(31)  # the turns end on their re-armed timers, on both shards
        for room in before:
            assert (await state_in(s, room)).holder != holders[room]
        await s.slash("Rosa", "circle end", "circle-room")
        await s.slash("Rosa-b", "circle end", "circle-room-b")
        for room in before:
            assert overwrites(s, room) == before[room]
        assert s.errors == [] and s.rate_limited == []


async def test_a_late_shard_restores_its_own_circles_and_a_dm_button_works_before_it_connects(
    tmp_path: Path,
) -> None:
    async with StandIn(database_path=tmp_path / "bot.db", guilds=two_servers(), shards=4) as s:
        await run_circle(s, "")  # in the server on shard 3
        await s.say("Mia", "circle-room", TIER2)
        check_in = s.dms_to("Mia")[-1]
        assert "automatic message" in check_in["content"]
        holder = (await state_in(s, "circle-room")).holder

        await s.restart(shards=[0, 1, 2])  # shard 3 has not connected yet
        assert s.bot is not None and s.bot.get_guild(ON_SHARD_3) is None
        room = s.channel_id("circle-room")
        assert s.bot.features.circles.active_circle_in(room) is None  # not restored: its shard is not ready
        assert not any(job.startswith("circle:") for job in s.bot.scheduler.job_ids())

        # The check-in's "Talk to a facilitator" comes in a DM (shard 0): the server is found through REST.
        mark = s.mark()
        await s.click("Mia", check_in, "Talk to a facilitator")
        assert ("GET", "/guilds/{guild_id}") in [(c.method, c.path) for c in s.since(mark)]
        assert "Peer Support Test" in s.last_reply("Mia")["content"]
        assert s.errors == []

        await s.connect_late(3)
        assert s.bot.features.circles.active_circle_in(room) is not None  # restored now, by its own shard
        assert (await state_in(s, "circle-room")).holder == holder
        await s.advance(61)
        assert (await state_in(s, "circle-room")).holder != holder  # its timer was armed at that restore
        assert s.errors == []


def test_a_replay_scenario_with_four_shards_and_two_servers(tmp_path: Path) -> None:
    first, second = two_servers()
    scenario = {"shards": 4, "guilds": [first, second], "steps": [{"advance": 1}]}
    path = tmp_path / "sharded.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_PATH"] = str(tmp_path / "bot.db")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(path)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert ("GET", "/gateway/bot") in [(line.get("method"), line.get("path")) for line in lines]
    both = {**scenario, "guild": first}
    path.write_text(json.dumps(both), encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(path)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "not both" in refused.stderr


class Recording:
    """A stand-in session written down as a replay scenario: every event fed, every advance and restart."""

    def __init__(self, s: StandIn) -> None:
        self.s = s
        self.steps: list[dict[str, Any]] = []
        feed = s.feed

        async def recording_feed(event: str, data: dict[str, Any]) -> None:
            self.steps.append({"t": event, "d": json.loads(json.dumps(data))})
            await feed(event, data)

        s.feed = recording_feed  # type: ignore[method-assign]

    async def advance(self, seconds: float) -> None:
        self.steps.append({"advance": seconds})
        await self.s.advance(seconds)

    async def restart(self) -> None:
        self.steps.append({"restart": True})
        await self.s.restart()


def replay(tmp_path: Path, scenario: dict[str, Any]) -> list[dict[str, Any]]:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_PATH"] = str(tmp_path / "replayed.db")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(path)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


async def test_a_four_shard_replay_scenario_runs_two_circles_through_a_restart_and_a_dm_button(
    tmp_path: Path,
) -> None:
    servers = two_servers()
    async with StandIn(database_path=tmp_path / "recorded.db", guilds=servers, shards=4) as s:
        rec = Recording(s)
        await run_circle(s, "")  # shard 3
        await run_circle(s, "-b")  # shard 0
        await s.say("Mia", "circle-room", TIER2)
        check_in = s.dms_to("Mia")[-1]
        await rec.advance(30)
        await rec.restart()
        await rec.advance(31)
        await s.click("Mia", check_in, "Talk to a facilitator")  # in a DM (shard 0), for the server on shard 3
        await s.slash("Rosa", "circle end", "circle-room")
        await s.slash("Rosa-b", "circle end", "circle-room-b")
        assert s.errors == []
    scenario = {"shards": 4, "guilds": servers, "steps": rec.steps}
    lines = replay(tmp_path, scenario)
    assert not [line for line in lines if "error" in line]
    rooms = {str(default_guild(ON_SHARD_3)["channels"][0]["id"]), str(default_guild(ON_SHARD_0)["channels"][0]["id"])}
    for room in rooms:
        moves = [
            (line["method"], line["params"].get("target"))
            for line in lines
            if line.get("path") == "/channels/{channel_id}/permissions/{target}"
            and line["params"].get("channel_id") == room
        ]
        assert moves, room  # each channel was locked for its circle, on its own shard's server...
        put = {target for method, target in moves if method == "PUT"}
        deleted = {target for method, target in moves if method == "DELETE"}
        assert put <= deleted, (room, moves)  # ...and every overwrite the bot added was taken away at the end
    talked = [line for line in lines if line.get("path", "").startswith("/interactions/") and line["step"] >= 0]
    assert talked  # the DM button was answered
