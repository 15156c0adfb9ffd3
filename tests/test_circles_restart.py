"""A circle survives a restart: the holder and time left are right, timers re-armed, the channel repaired."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.circle import Status
from bot.testing import StandIn
from tests.circle_helpers import can_post, circle_state, open_and_start, overwrite_snapshot


async def test_restart_after_a_turn_expired_while_down_continues_with_the_right_holder(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", "Lu", turn_minutes=2.0)
    started = s.clock.now()
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    # Two and a half minutes pass with the bot down: Ken's turn ended at 2:00, Mia's began then.
    s.clock.advance(150)
    await s.restart()
    state = await circle_state(s)
    assert state.holder == s.user_id("Mia")
    assert state.deadline == started + timedelta(minutes=4)
    assert can_post(s, "Mia") and not can_post(s, "Ken")
    assert s.bot is not None
    assert s.bot.scheduler.when("circle:1") == state.deadline - timedelta(seconds=30)
    # The re-armed timer keeps the circle going, and the card's buttons work on the new process.
    await s.advance(90)
    assert (await circle_state(s)).holder == s.user_id("Lu")
    card = s.bot_messages("circle-room")[0]
    await s.click("Lu", card, "I'm done")
    assert (await circle_state(s)).status == Status.ENDED
    assert overwrite_snapshot(s) == {}


async def test_restart_mid_turn_keeps_the_time_left(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", turn_minutes=3.0)
    await s.advance(60)
    await s.restart()
    state = await circle_state(s)
    assert state.holder == s.user_id("Ken")
    assert state.deadline is not None and state.deadline - s.clock.now() == timedelta(minutes=2)
    assert can_post(s, "Ken") and not can_post(s, "Mia")


async def test_paused_circle_stays_paused_with_its_time_after_restart(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", turn_minutes=3.0)
    await s.advance(30)
    await s.slash("Rosa", "circle pause")
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    s.clock.advance(3600)
    await s.restart()
    state = await circle_state(s)
    assert state.status == Status.PAUSED and state.remaining == timedelta(seconds=150)


async def test_circle_that_ended_while_down_leaves_the_channel_as_it_was(discord_standin: StandIn) -> None:
    s = discord_standin
    room = s.channel(s.channel_id("circle-room"))
    room["permission_overwrites"] = [{"id": s.guild["id"], "type": 0, "allow": "64", "deny": "0"}]
    await s.feed("CHANNEL_UPDATE", {**room, "guild_id": s.guild["id"]})
    before = overwrite_snapshot(s)
    await open_and_start(s, "Ken", "Mia", turn_minutes=1.0)
    assert not can_post(s, "Mia")
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    s.clock.advance(3600)  # both turns of the only round ran out long ago
    await s.restart()
    assert (await circle_state(s)).status == Status.ENDED
    assert overwrite_snapshot(s) == before
    assert can_post(s, "Mia")
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM circle_overwrites") == []


async def test_overwrites_left_behind_by_an_interrupted_end_are_put_back_at_start(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia")
    assert s.bot is not None
    # Simulate a crash after the circle was marked ended but before its overwrites were put back.
    await s.bot.db.execute("UPDATE circles SET status = 'ended', state = json_set(state, '$.status', 'ended')")
    await s.restart()
    assert overwrite_snapshot(s) == {}
    assert can_post(s, "Mia")
