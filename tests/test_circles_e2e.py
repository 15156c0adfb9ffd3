"""Talking-stick circles in text channels, one story per test, through the real discord.py client."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.circle import Status
from bot.testing import EPHEMERAL, StandIn, timestamp_in
from tests.circle_helpers import SEND, calls_of, can_post, circle_state, open_and_start, overwrite_snapshot


async def test_strict_circle_locks_and_restores_existing_overwrites_exactly(discord_standin: StandIn) -> None:
    s = discord_standin
    room = s.channel(s.channel_id("circle-room"))
    ken, mia = s.user_id("Ken"), s.user_id("Mia")
    helper_role = {**s.guild["roles"][0], "id": "777", "name": "Regulars", "position": 1, "permissions": "0"}
    s.guild["roles"].append(helper_role)
    s.feed_now("GUILD_ROLE_CREATE", {"guild_id": s.guild["id"], "role": helper_role})
    # The channel already has overwrites: @everyone may add reactions but not embed; Mia may attach files;
    # a role is explicitly allowed to send (it would beat the @everyone deny if left alone).
    room["permission_overwrites"] = [
        {"id": s.guild["id"], "type": 0, "allow": "64", "deny": "262144"},
        {"id": str(mia), "type": 1, "allow": "32768", "deny": "0"},
        {"id": "777", "type": 0, "allow": str(SEND | 64), "deny": "0"},
    ]
    s.member(s.user_id("Lu"))["roles"] = ["777"]
    await s.feed("CHANNEL_UPDATE", {**room, "guild_id": s.guild["id"]})
    await s.feed("GUILD_MEMBER_UPDATE", {**s.member(s.user_id("Lu")), "guild_id": s.guild["id"]})
    before = overwrite_snapshot(s)

    await open_and_start(s, "Ken", "Mia", "Lu", turn_minutes=2.0)
    assert can_post(s, "Ken") and not can_post(s, "Mia") and not can_post(s, "Lu") and not can_post(s, "Sam")
    assert can_post(s, "Rosa")  # the owner bypasses overwrites; the card says so
    now = overwrite_snapshot(s)
    assert now[int(s.guild["id"])] == (0, 64, 262144 | SEND)
    assert now[777] == (0, 64, 0)  # neutralised, everything else kept
    assert now[mia] == (1, 32768, 0)

    await s.slash("Ken", "circle pass")
    assert can_post(s, "Mia") and not can_post(s, "Ken")
    assert overwrite_snapshot(s)[mia] == (1, 32768 | SEND, 0)
    assert ken not in overwrite_snapshot(s)  # Ken had no overwrite before: it is deleted, not left empty

    await s.slash("Rosa", "circle end")
    assert overwrite_snapshot(s) == before
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM circle_overwrites") == []


async def test_turn_change_costs_the_same_few_calls(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", "Lu", turn_minutes=1.0)
    await s.advance(59)
    mark = s.mark()
    await s.advance(1)
    calls = s.since(mark)
    assert len(calls) <= 4
    assert (
        len(calls_of(calls, "PUT", "/permissions/{target}")) + len(calls_of(calls, "DELETE", "/permissions/{target}"))
        == 2
    )


async def test_pass_skip_extend_pause_resume_with_the_clock(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", "Lu", "Sam", turn_minutes=2.0)
    ken, mia, lu, sam = (s.user_id(n) for n in ("Ken", "Mia", "Lu", "Sam"))
    start = s.clock.now()
    # Lu passes their coming turn before it arrives: no reason asked.
    await s.slash("Lu", "circle pass")
    assert "No reason needed" in s.last_reply("Lu")["content"]
    state = await circle_state(s)
    assert state.holder == ken and lu in state.passing

    # Extend Ken's turn by 2 minutes: the announcement's countdown moves by exactly that.
    await s.slash("Rosa", "circle extend", minutes=2)
    state = await circle_state(s)
    assert state.deadline == start + timedelta(minutes=4)
    assert timestamp_in(s.last_message("circle-room")["content"]) == state.deadline.replace(microsecond=0)

    # Pause for ten minutes: the time left is held.
    await s.advance(60)
    await s.slash("Rosa", "circle pause")
    await s.advance(600)
    state = await circle_state(s)
    assert state.status == Status.PAUSED and state.holder == ken and state.remaining == timedelta(minutes=3)
    assert can_post(s, "Ken")
    await s.slash("Rosa", "circle resume")
    state = await circle_state(s)
    assert state.deadline == s.clock.now() + timedelta(minutes=3)

    # Skip moves the stick on to Mia.
    await s.slash("Rosa", "circle skip")
    state = await circle_state(s)
    assert state.holder == mia and can_post(s, "Mia") and not can_post(s, "Ken")

    # Mia's time runs out: Lu's pass is used, the stick goes to Sam.
    await s.advance(120)
    state = await circle_state(s)
    assert state.holder == sam and can_post(s, "Sam")
    assert f"<@{sam}>, the stick is yours" in s.last_message("circle-room")["content"]

    # Sam finishes: one round only, so the circle completes and the channel is open again.
    await s.slash("Sam", "circle pass")
    state = await circle_state(s)
    assert state.status == Status.ENDED
    assert can_post(s, "Ken") and can_post(s, "Mia")
    assert overwrite_snapshot(s) == {}
    assert s.bot is not None
    kinds = [
        (r["user_id"], r["kind"])
        for r in await s.bot.db.fetchall("SELECT user_id, kind FROM attendance_events WHERE kind != 'joined'")
    ]
    assert kinds == [(ken, "skipped"), (mia, "took_turn"), (lu, "passed"), (sam, "took_turn")]


async def test_warning_comes_before_time_runs_out(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", turn_minutes=2.0)
    await s.advance(89)
    assert "heads-up" not in s.last_message("circle-room")["content"]
    await s.advance(1)
    assert "heads-up" in s.last_message("circle-room")["content"]


async def test_card_buttons_join_done_and_pass(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "circle open", turn_minutes=1.0)
    card = s.last_message("circle-room")
    await s.click("Ken", card, "Join")
    await s.click("Mia", card, "Join")
    await s.click("Lu", card, "Join")
    assert s.last_reply("Lu")["flags"] & EPHEMERAL
    await s.slash("Rosa", "circle start")
    await s.click("Mia", card, "I'm done")
    assert "Only the person holding the stick" in s.last_reply("Mia")["content"]
    await s.click("Lu", card, "Pass my turn")
    await s.click("Ken", card, "I'm done")
    state = await circle_state(s)
    assert state.holder == s.user_id("Mia")
    await s.click("Mia", card, "I'm done")
    assert (await circle_state(s)).status == Status.ENDED
    card_now = next(m for m in s.bot_messages("circle-room") if m["id"] == card["id"])
    assert all(c["disabled"] for row in card_now["components"] for c in row["components"])


async def test_member_who_is_not_a_facilitator_is_refused_with_no_other_call(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    for command in ("circle open", "circle start", "circle pause", "circle end", "circle skip"):
        mark = s.mark()
        await s.slash("Ken", command)
        calls = s.since(mark)
        assert len(calls) == 1, (command, calls)
        assert calls[0].json["data"]["flags"] & EPHEMERAL
        assert "Only facilitators" in calls[0].json["data"]["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM circles") is None


async def test_facilitator_role_holder_can_run_a_circle(discord_standin: StandIn) -> None:
    s = discord_standin
    role = {**s.guild["roles"][0], "id": "888", "name": "Facilitators", "position": 1, "permissions": "0"}
    s.guild["roles"].append(role)
    s.feed_now("GUILD_ROLE_CREATE", {"guild_id": s.guild["id"], "role": role})
    s.member(s.user_id("Sam"))["roles"] = ["888"]
    await s.feed("GUILD_MEMBER_UPDATE", {**s.member(s.user_id("Sam")), "guild_id": s.guild["id"]})
    from bot.testing import role_option

    await s.slash("Rosa", "config facilitator-role", role=role_option(888))
    await s.slash("Sam", "circle open")
    await s.slash("Ken", "circle join")
    await s.slash("Sam", "circle start")
    assert (await circle_state(s)).status == Status.RUNNING
    assert can_post(s, "Sam")  # the facilitator role keeps its voice in a locked channel


async def test_gentle_mode_sends_one_quiet_reminder_and_deletes_nothing(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", "Lu", enforcement="gentle")
    assert overwrite_snapshot(s) == {}
    mark = s.mark()
    await s.say("Mia", "circle-room", "oh I relate to that so much")
    await s.say("Mia", "circle-room", "sorry, one more thing")
    assert len(s.dms_to("Mia")) == 1 and "gentle reminder" in s.dms_to("Mia")[0]["content"]
    assert calls_of(s.since(mark), "DELETE", "/messages/{message_id}") == []
    await s.say("Ken", "circle-room", "the holder speaks freely")
    assert s.dms_to("Ken") == []
    # After a minute another reminder may go; with DMs closed nothing at all is sent and nothing breaks.
    await s.advance(61)
    s.closed_dms.add(s.user_id("Lu"))
    await s.say("Lu", "circle-room", "hello")
    assert s.dms_to("Lu") == []
    await s.say("Mia", "circle-room", "again")
    assert len(s.dms_to("Mia")) == 2


async def test_missing_manage_roles_stops_start_before_anything_changes(discord_standin: StandIn) -> None:
    s = discord_standin
    room = s.channel(s.channel_id("circle-room"))
    bot_role = str(s.bot_id + 1)
    room["permission_overwrites"] = [{"id": bot_role, "type": 0, "allow": "0", "deny": str(1 << 28)}]
    await s.feed("CHANNEL_UPDATE", {**room, "guild_id": s.guild["id"]})
    await s.slash("Rosa", "circle open")
    await s.slash("Ken", "circle join")
    mark = s.mark()
    await s.slash("Rosa", "circle start")
    calls = s.since(mark)
    assert len(calls) == 1 and "Manage Roles" in calls[0].json["data"]["content"]
    assert calls[0].json["data"]["flags"] & EPHEMERAL
    assert (await circle_state(s)).status == Status.GATHERING


async def test_403_mid_circle_is_told_to_the_facilitator_and_state_is_kept(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", "Lu")
    s.fail("PUT", "/channels/{channel_id}/permissions/{target}", 403, code=50013, times=1)
    await s.slash("Ken", "circle pass")
    state = await circle_state(s)
    assert state.holder == s.user_id("Mia")  # the circle moved on and kept its place
    told = s.dms_to("Rosa")
    assert told and "Manage Roles" in told[-1]["content"]
    # The facilitator presses Try again: the channel catches up with the circle.
    await s.click("Rosa", told[-1], "Try again")
    assert can_post(s, "Mia") and not can_post(s, "Ken")
    assert "in step" in s.last_reply("Rosa")["content"]


async def test_one_circle_per_channel_and_no_circle_is_kind(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Ken", "circle join")
    assert "no open circle" in s.last_reply("Ken")["content"]
    await s.slash("Rosa", "circle open")
    await s.slash("Rosa", "circle open")
    assert "already has an open circle" in s.last_reply("Rosa")["content"]
