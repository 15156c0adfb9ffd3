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


async def test_talk_to_a_facilitator_needs_a_real_check_in_and_alerts_once(tmp_path: Path) -> None:
    from test_crisis_e2e import TIER2, alerts_on, open_circle

    async with StandIn(database_path=tmp_path / "bot.db") as s:
        await open_circle(s)
        alert_channel = await alerts_on(s)
        before = len(s.bot_messages(alert_channel))
        await s.say("Ken", "circle-room", TIER2)
        check_in = s.dms_to("Ken")[-1]
        # Mia was never checked in: Ken's button, copied, gets her nothing and alerts nobody.
        await press(s, "Mia", check_in, f"crisis:talk:{s.guild_id}:3")
        assert "can't find a check-in" in s.last_reply("Mia")["content"]
        for _ in range(5):  # Ken presses five times (the first press disables the button; a copy does not)
            await press(s, "Ken", check_in, f"crisis:talk:{s.guild_id}:3")
        alerts = s.bot_messages(alert_channel)[before:]
        assert len(alerts) == 1  # one alert per check-in, at the tier the bot recorded, not the button's
        assert "already let the facilitators know" in s.last_reply("Ken")["content"]
        assert s.errors == []


async def test_an_alert_channel_made_public_later_gets_no_alert_and_the_owner_is_told(tmp_path: Path) -> None:
    from test_crisis_e2e import TIER2, alerts_on, open_circle

    async with StandIn(database_path=tmp_path / "bot.db") as s:
        await open_circle(s)
        alert_channel = await alerts_on(s)
        before = len(s.bot_messages(alert_channel))
        channel = s.channel(alert_channel)  # someone opens the channel to everyone after it was set
        channel["permission_overwrites"] = [o for o in channel["permission_overwrites"] if o["id"] != s.guild["id"]]
        await s.feed("CHANNEL_UPDATE", {**copy.deepcopy(channel), "guild_id": s.guild["id"]})
        await s.say("Ken", "circle-room", TIER2)
        await s.click("Ken", s.dms_to("Ken")[-1], "Talk to a facilitator")
        assert s.bot_messages(alert_channel)[before:] == []  # nothing posted where everyone can read it
        owner_dm = s.dms_to("Rosa")[-1]["content"]
        assert "everyone can now read" in owner_dm and "/config crisis-alerts" in owner_dm
        assert s.errors == []
