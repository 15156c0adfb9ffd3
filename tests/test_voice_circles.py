"""Voice and stage circles on the stand-in: only the holder speaks, and nobody is left muted by the bot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.circle import Status
from bot.testing import EPHEMERAL, StandIn
from tests.circle_helpers import circle_state

VOICE = "Circle Voice"
STAGE = "Circle Stage"


def muted(s: StandIn, name: str) -> bool:
    state = s.voice_state(s.user_id(name))
    return bool(state["mute"]) if state else bool(s.member(s.user_id(name)).get("mute"))


def on_stage(s: StandIn, name: str) -> bool:
    state = s.voice_state(s.user_id(name))
    return state is not None and not state["suppress"]


def mute_calls(calls: list[Any]) -> list[tuple[int, bool]]:
    return [
        (int(c.params["user_id"]), bool(c.json["mute"]))
        for c in calls
        if c.method == "PATCH" and c.path.endswith("/members/{user_id}") and "mute" in (c.json or {})
    ]


def stage_calls(calls: list[Any]) -> list[tuple[int, bool]]:
    return [
        (int(c.params["user_id"]), bool(c.json["suppress"]))
        for c in calls
        if c.method == "PATCH" and c.path.endswith("/voice-states/{user_id}")
    ]


async def voice_circle(s: StandIn, *people: str, **options: Any) -> None:
    for name in people:
        await s.voice(name, VOICE)
    await s.slash("Rosa", "circle open", channel=VOICE, **options)
    await s.slash("Rosa", "circle start", channel=VOICE)


async def test_voice_start_joins_those_present_and_mutes_everyone_but_the_holder(discord_standin: StandIn) -> None:
    s = discord_standin
    mark = s.mark()
    await voice_circle(s, "Rosa", "Ken", "Mia", "Lu", turn_minutes=1)
    state = await circle_state(s, VOICE)
    assert state.status == Status.RUNNING
    # Those present joined, in the order they came in; Rosa facilitates and is never muted.
    assert state.participants == tuple(s.user_id(n) for n in ("Ken", "Mia", "Lu"))
    assert state.holder == s.user_id("Ken")
    assert not muted(s, "Ken") and muted(s, "Mia") and muted(s, "Lu") and not muted(s, "Rosa")
    assert sorted(mute_calls(s.since(mark))) == sorted([(s.user_id("Mia"), True), (s.user_id("Lu"), True)])
    card = s.bot_messages(VOICE)[0]
    assert "muted except the person holding the stick" in card["embeds"][0]["footer"]["text"]

    # A turn change: two mute calls, the old holder muted and the new one unmuted.
    mark = s.mark()
    await s.advance(60)
    assert (await circle_state(s, VOICE)).holder == s.user_id("Mia")
    assert sorted(mute_calls(s.since(mark))) == sorted([(s.user_id("Ken"), True), (s.user_id("Mia"), False)])
    assert muted(s, "Ken") and not muted(s, "Mia") and muted(s, "Lu")


async def test_someone_who_joins_the_channel_mid_turn_is_muted(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia")
    mark = s.mark()
    await s.voice("Sam", VOICE)
    assert muted(s, "Sam")
    assert mute_calls(s.since(mark)) == [(s.user_id("Sam"), True)]


async def test_leaving_the_circle_or_the_channel_unmutes_even_when_seen_again_elsewhere(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu")
    assert muted(s, "Mia") and muted(s, "Lu")
    await s.slash("Mia", "circle leave", channel=VOICE)
    assert not muted(s, "Mia")

    # Lu disconnects while muted: Discord refuses to unmute someone not connected, so the unmute waits.
    await s.voice("Lu", None)
    assert muted(s, "Lu")
    assert s.bot is not None
    [pending] = await s.bot.store.voice.for_member(s.guild_id, s.user_id("Lu"))
    assert pending.pending
    # Seen again, in another channel of the server: the bot unmutes at once.
    await s.voice("Lu", STAGE)
    assert not muted(s, "Lu")
    assert await s.bot.store.voice.for_member(s.guild_id, s.user_id("Lu")) == []


async def test_a_pending_unmute_is_made_after_a_restart(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia")
    await s.voice("Mia", None)
    await s.restart()
    assert muted(s, "Mia")
    await s.voice("Mia", STAGE)
    assert not muted(s, "Mia")


async def test_the_end_unmutes_everyone_the_bot_muted_and_only_them(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.voice("Sam", VOICE, mute=True)  # a moderator muted Sam before the circle
    await voice_circle(s, "Ken", "Mia", "Lu")
    assert muted(s, "Mia") and muted(s, "Lu") and muted(s, "Sam")
    mark = s.mark()
    await s.slash("Rosa", "circle end", channel=VOICE)
    assert (await circle_state(s, VOICE)).status == Status.ENDED
    assert not muted(s, "Mia") and not muted(s, "Lu") and not muted(s, "Ken")
    assert muted(s, "Sam")  # the moderator's mute stays
    assert s.user_id("Sam") not in {user for user, _ in mute_calls(s.since(mark))}
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM voice_changes") == []


async def test_missing_mute_members_stops_the_start_and_names_it(discord_standin: StandIn) -> None:
    s = discord_standin
    voice = s.channel(s.channel_id(VOICE))
    bot_id = int(s.bot_user["id"])
    voice["permission_overwrites"] = [{"id": str(bot_id), "type": 1, "allow": "0", "deny": str(1 << 22)}]
    await s.feed("CHANNEL_UPDATE", {**voice, "guild_id": s.guild["id"]})
    await s.voice("Ken", VOICE)
    await s.voice("Mia", VOICE)
    await s.slash("Rosa", "circle open", channel=VOICE)
    mark = s.mark()
    await s.slash("Rosa", "circle start", channel=VOICE)
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL and "Mute Members" in reply["content"]
    assert (await circle_state(s, VOICE)).status == Status.GATHERING
    assert mute_calls(s.since(mark)) == []


async def test_a_403_on_a_mute_is_told_to_the_facilitator_and_the_circle_keeps_its_state(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", turn_minutes=1)
    s.fail("PATCH", "/guilds/{guild_id}/members/{user_id}", 403, code=50013, times=1)
    await s.advance(60)
    state = await circle_state(s, VOICE)
    assert state.holder == s.user_id("Mia")  # the circle moved on
    assert not muted(s, "Mia")  # one refusal (muting Ken) did not stop the new holder's unmute
    [told] = s.dms_to("Rosa")
    assert "Mute Members" in told["content"]
    # Discord works again: ending unmutes everyone the bot muted.
    await s.slash("Rosa", "circle end", channel=VOICE)
    assert not muted(s, "Ken") and not muted(s, "Mia")


async def test_voice_restart_mid_turn_keeps_holder_and_mutes(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu", turn_minutes=2)
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    s.clock.advance(150)  # Ken's turn ran out while the bot was down
    await s.restart()
    state = await circle_state(s, VOICE)
    assert state.holder == s.user_id("Mia")
    assert state.deadline is not None and state.deadline - s.clock.now() == timedelta(seconds=90)
    assert muted(s, "Ken") and not muted(s, "Mia") and muted(s, "Lu")


async def test_a_voice_circle_that_ended_while_down_leaves_nobody_muted(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", turn_minutes=1)
    await s.voice("Sam", VOICE)
    await s.voice("Sam", None)  # muted, then gone: the unmute waits for Sam
    assert muted(s, "Mia")
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    s.clock.advance(3600)
    await s.restart()
    assert (await circle_state(s, VOICE)).status == Status.ENDED
    assert not muted(s, "Ken") and not muted(s, "Mia")
    await s.voice("Sam", STAGE)
    assert not muted(s, "Sam")


# Stage ------------------------------------------------------------------------------------------------------


async def stage_circle(s: StandIn, *people: str, **options: Any) -> None:
    for name in people:
        await s.voice(name, STAGE)
    await s.slash("Rosa", "circle open", channel=STAGE, **options)


async def test_stage_brings_only_the_holder_on_stage(discord_standin: StandIn) -> None:
    s = discord_standin
    await stage_circle(s, "Ken", "Mia", "Lu", turn_minutes=1)
    mark = s.mark()
    await s.slash("Rosa", "circle start", channel=STAGE)
    assert stage_calls(s.since(mark)) == [(s.user_id("Ken"), False)]
    assert mute_calls(s.since(mark)) == []  # no per-member mutes on a stage
    assert on_stage(s, "Ken") and not on_stage(s, "Mia")
    card = s.bot_messages(STAGE)[0]
    assert "accept the invitation" in card["embeds"][0]["footer"]["text"]
    mark = s.mark()
    await s.advance(60)
    assert sorted(stage_calls(s.since(mark))) == sorted([(s.user_id("Ken"), True), (s.user_id("Mia"), False)])
    assert not on_stage(s, "Ken") and on_stage(s, "Mia")
    await s.slash("Rosa", "circle end", channel=STAGE)
    assert not any(on_stage(s, n) for n in ("Ken", "Mia", "Lu"))


async def test_stage_from_hands_joins_in_hand_raise_order(discord_standin: StandIn) -> None:
    s = discord_standin
    now = s.clock.now()
    await s.voice("Ken", STAGE)
    await s.voice("Lu", STAGE, hand=now - timedelta(seconds=30))
    await s.voice("Mia", STAGE, hand=now - timedelta(seconds=60))
    await s.slash("Rosa", "circle open", channel=STAGE)
    await s.slash("Rosa", "circle start", channel=STAGE, from_hands=True)
    state = await circle_state(s, STAGE)
    assert state.participants == (s.user_id("Mia"), s.user_id("Lu"))


async def test_from_hands_is_for_stages_only(discord_standin: StandIn) -> None:
    s = discord_standin
    await voice_circle(s, "Ken")
    await s.slash("Rosa", "circle open")
    await s.slash("Rosa", "circle start", from_hands=True)
    assert "stage" in s.last_reply("Rosa")["content"]


async def test_a_stage_circle_that_ended_while_down_sends_its_speaker_back(discord_standin: StandIn) -> None:
    s = discord_standin
    await stage_circle(s, "Ken", "Mia", turn_minutes=1)
    await s.slash("Rosa", "circle start", channel=STAGE)
    assert on_stage(s, "Ken")
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    s.clock.advance(3600)
    await s.restart()
    assert (await circle_state(s, STAGE)).status == Status.ENDED
    assert not on_stage(s, "Ken") and not on_stage(s, "Mia")
    assert await s.bot.db.fetchall("SELECT * FROM voice_changes") == []


async def test_stage_restart_mid_turn_keeps_the_holder_on_stage(discord_standin: StandIn) -> None:
    s = discord_standin
    await stage_circle(s, "Ken", "Mia", "Lu", turn_minutes=2)
    await s.slash("Rosa", "circle start", channel=STAGE)
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    s.clock.advance(150)
    await s.restart()
    assert (await circle_state(s, STAGE)).holder == s.user_id("Mia")
    assert on_stage(s, "Mia") and not on_stage(s, "Ken")
