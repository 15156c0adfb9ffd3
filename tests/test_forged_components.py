"""Forged components are refused kindly and change nothing (issue 21, item 3, in part): a button from another
server naming this server's circle, and ids too large to be Discord's."""

from __future__ import annotations

import copy
from pathlib import Path

from bot.domain.circle import CircleState
from bot.testing import StandIn, default_guild

SERVER_A, SERVER_B = 1310000000000000001, 1310000000004194305


def carrying(message: dict, custom_id: str) -> dict:
    """The message with its first button's custom id replaced: what a forged (or stale) component looks like."""
    forged = copy.deepcopy(message)
    for row in forged["components"]:
        for component in row.get("components", []):
            if component.get("type") == 2:
                component["custom_id"] = custom_id
                return forged
    raise AssertionError("the message has no button")


async def press(s: StandIn, user: str, message: dict, custom_id: str) -> None:
    data = s.component_payload(s.user_id(user), carrying(message, custom_id), custom_id)
    await s.feed("INTERACTION_CREATE", data)


async def test_a_join_pressed_in_another_server_with_this_servers_circle_id_is_refused(tmp_path: Path) -> None:
    servers = [default_guild(SERVER_A), default_guild(SERVER_B, suffix="-b")]
    async with StandIn(database_path=tmp_path / "bot.db", guilds=servers) as s:
        assert s.bot is not None
        await s.slash("Rosa", "circle open", "circle-room")  # server A's circle
        await s.slash("Rosa-b", "circle open", "circle-room-b")
        row_a = await s.bot.store.circles.active_in_channel(s.channel_id("circle-room"))
        assert row_a is not None
        card_b = s.bot_messages("circle-room-b")[0]
        await press(s, "Ken-b", card_b, f"circle:join:{row_a.id}")  # in server B, naming server A's circle
        assert "already" in s.last_reply("Ken-b")["content"].lower() or "closed" in s.last_reply("Ken-b")["content"]
        fresh = await s.bot.store.circles.get(row_a.id)
        assert fresh is not None
        assert s.user_id("Ken-b") not in CircleState.from_json(fresh.state).participants
        assert s.errors == []


async def test_ids_too_large_for_discord_are_refused_kindly(tmp_path: Path) -> None:
    async with StandIn(database_path=tmp_path / "bot.db") as s:
        await s.slash("Rosa", "circle open")
        card = s.bot_messages("circle-room")[0]
        await press(s, "Ken", card, "circle:join:99999999999999999999")
        assert s.last_reply("Ken")["content"]  # answered in words
        await s.say("Ken", "circle-room", "i want to die")  # a check-in DM, whose buttons carry the server's id
        check_in = s.dms_to("Ken")[-1]
        await press(s, "Ken", check_in, "crisis:talk:99999999999999999999:3")
        assert "can't reach that server" in s.last_reply("Ken")["content"]
        assert s.errors == []
