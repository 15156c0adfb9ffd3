"""Regressions found in review: races and refusals that must never leave the bot's changes behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.clock import SystemClock
from bot.domain.circle import Status
from bot.scheduling import Scheduler
from bot.testing import StandIn, button_id
from tests.circle_helpers import circle_state
from tests.test_voice_circles import VOICE, muted, voice_circle


async def test_a_button_reply_that_comes_too_late_still_moves_discord_along(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu", turn_minutes=2)
    card = s.bot_messages(VOICE)[0]
    before = len(s.bot_messages(VOICE))
    # The reply comes after Discord's 3-second window (the circle's lock was busy): 404, Unknown interaction.
    s.fail("POST", "/interactions/{webhook_id}/{webhook_token}/callback", 404, code=10062, times=1)
    await s.click("Ken", card, "I'm done")
    assert (await circle_state(s, VOICE)).holder == s.user_id("Mia")
    assert not muted(s, "Mia")
    assert len(s.bot_messages(VOICE)) > before


async def test_an_unmute_refused_at_the_end_is_made_by_try_again(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu", turn_minutes=2)
    s.fail("PATCH", "/guilds/{guild_id}/members/{user_id}", 500, times=1)
    await s.slash("Rosa", "circle end", channel=VOICE)
    assert (await circle_state(s, VOICE)).status == Status.ENDED
    stuck = [n for n in ("Mia", "Lu") if muted(s, n)]
    assert len(stuck) == 1
    await s.click("Rosa", s.last_reply("Rosa"), "Try again")
    assert not muted(s, stuck[0])
    assert "in step" in s.last_reply("Rosa")["content"]


async def test_an_owed_unmute_is_made_when_they_are_next_seen_in_voice(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu", turn_minutes=2)
    s.fail("PATCH", "/guilds/{guild_id}/members/{user_id}", 500, times=1)
    await s.slash("Rosa", "circle end", channel=VOICE)
    [stuck] = [n for n in ("Mia", "Lu") if muted(s, n)]
    await s.voice(stuck, None)
    await s.voice(stuck, "Circle Stage")
    assert not muted(s, stuck)


async def test_delete_my_data_mid_circle_never_leaves_the_bots_mute_behind(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu", turn_minutes=2)
    assert muted(s, "Mia")
    await s.slash("Mia", "privacy delete")
    await s.click("Mia", s.last_reply("Mia"), "Delete my data")
    await s.slash("Rosa", "circle end", channel=VOICE)
    assert not muted(s, "Mia")
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM voice_changes WHERE user_id = ?", (s.user_id("Mia"),)) == []


async def test_ending_before_discord_echoes_a_mute_still_lifts_it(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu", turn_minutes=1)
    held: list[dict[str, Any]] = []
    real = s.feed_now

    def later(event: str, data: dict[str, Any]) -> None:
        if event == "VOICE_STATE_UPDATE":
            held.append(data)
        else:
            real(event, data)

    s.feed_now = later  # type: ignore[method-assign]
    await s.advance(60)  # Ken's turn ends: Discord mutes him, but its event has not reached the bot yet
    await s.slash("Rosa", "circle end", channel=VOICE)
    s.feed_now = real  # type: ignore[method-assign]
    for data in held:
        real("VOICE_STATE_UPDATE", data)
    await s.settle()
    assert not muted(s, "Ken")


async def test_join_pressed_while_the_start_gathers_those_present(discord_standin: StandIn) -> None:
    s = discord_standin
    for name in ("Ken", "Mia"):
        await s.voice(name, VOICE)
    await s.slash("Rosa", "circle open", channel=VOICE)
    card = s.bot_messages(VOICE)[0]
    start = s.slash_payload(s.user_id("Rosa"), "circle start", s.channel_id(VOICE))
    join = s.component_payload(s.user_id("Ken"), card, button_id(card, "Join"))
    s.feed_now("INTERACTION_CREATE", start)
    s.feed_now("INTERACTION_CREATE", join)
    await s.settle()
    state = await circle_state(s, VOICE)
    assert state.status == Status.RUNNING and set(state.participants) == {s.user_id("Ken"), s.user_id("Mia")}


async def test_a_timer_re_armed_for_a_moment_that_passes_during_its_run_still_runs() -> None:
    clock = SystemClock()
    scheduler = Scheduler(clock)
    scheduler.start()
    runs: list[int] = []
    done = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            scheduler.schedule("circle:1", clock.now() + timedelta(seconds=0.05), job)
            await asyncio.sleep(0.3)  # slow Discord calls while the re-armed moment passes
        else:
            done.set()

    scheduler.schedule("circle:1", clock.now() + timedelta(seconds=0.02), job)
    await asyncio.wait_for(done.wait(), timeout=10)
    await scheduler.shutdown()
    assert runs == [0, 1]
