"""A circle's channel deleted mid-circle ends the circle; nobody stays server-muted (issue 21, item 6)."""

from __future__ import annotations

import copy

from test_voice_circles import STAGE, VOICE, muted, voice_circle

from bot.domain.circle import Status
from bot.testing import StandIn


async def delete_channel(s: StandIn, name: str) -> None:
    channel = copy.deepcopy(s.channel(s.channel_id(name)))
    await s.feed("CHANNEL_DELETE", {**channel, "guild_id": s.guild["id"]})


async def circle_status(s: StandIn, channel_id: int) -> str | None:
    assert s.bot is not None
    row = await s.bot.db.fetchone("SELECT status FROM circles WHERE channel_id = ?", (channel_id,))
    return None if row is None else str(row["status"])


async def test_a_deleted_voice_channel_ends_its_circle_and_its_mutes_are_undone_where_people_go_next(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await voice_circle(s, "Ken", "Mia", "Lu")
    room = s.channel_id(VOICE)
    assert muted(s, "Mia") and muted(s, "Lu")  # only the holder speaks
    await delete_channel(s, VOICE)
    for name in ("Ken", "Mia", "Lu"):  # Discord disconnects everyone who was in it
        await s.voice(name, None)
    assert await circle_status(s, room) == Status.ENDED.value
    await s.voice("Mia", STAGE)  # Mia is next seen in voice elsewhere: the bot lifts its mute
    assert not muted(s, "Mia")
    await s.advance(600)  # no timer of the ended circle runs on
    assert s.errors == []


async def test_a_deleted_text_channel_ends_its_circle(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "circle open")
    for name in ("Ken", "Mia"):
        await s.slash(name, "circle join")
    await s.slash("Rosa", "circle start")
    room = s.channel_id("circle-room")
    await delete_channel(s, "circle-room")
    assert await circle_status(s, room) == Status.ENDED.value
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM circle_overwrites") == []  # nothing left to put back
    await s.advance(600)
    await s.restart()  # and nothing to repair at the next start
    assert s.errors == []
