"""The one message path (`cogs/messages`): the screen runs once, crisis care comes first, and its finding shields a
message from every filter action and every gentle reminder, also for a member who turned the screen off."""

from __future__ import annotations

from typing import Any

from circle_helpers import calls_of, open_and_start
from test_crisis_e2e import CountingScreen, add_facilitator_role, add_private_channel, slash_with_channel

from bot.testing import StandIn

TIER2 = "i want to die"
TIER3 = "im going to kill myself tonight"


async def moderated_gentle_circle(s: StandIn) -> tuple[CountingScreen, int]:
    """Filters that warn on words of both crisis messages, a mod log, crisis alerts, and a gentle circle Ken holds."""
    await add_facilitator_role(s)
    mod_log = add_private_channel(s, "mod-log")
    await slash_with_channel(s, "Rosa", "config mod-log", mod_log)
    alerts = add_private_channel(s, "alerts")
    await slash_with_channel(s, "Rosa", "config crisis-alerts", alerts)
    for phrase in ("die", "myself"):
        await s.slash("Rosa", "filter add", kind="phrase", text=phrase, action="warn", scope="circles")
    await open_and_start(s, "Ken", "Mia", "Lu", enforcement="gentle")
    assert s.bot is not None
    screen = CountingScreen(s.bot.screen)
    s.bot.screen = screen  # type: ignore[assignment]
    # The same words without a cry for help are filtered: the filter is live in this channel.
    mark = s.mark()
    await s.say("Mia", "circle-room", "that movie made me die laughing")
    assert calls_of(s.since(mark), "DELETE", "/messages/{message_id}"), "the filter should act on a plain message"
    assert screen.read == ["that movie made me die laughing"]
    screen.read.clear()
    return screen, alerts


async def mod_cases(s: StandIn) -> list[Any]:
    assert s.bot is not None
    return [tuple(r) for r in await s.bot.db.fetchall("SELECT kind, user_id FROM mod_cases ORDER BY id")]


async def test_one_flagged_message_is_screened_once_cared_for_first_and_never_punished_or_nagged(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    screen, _alerts = await moderated_gentle_circle(s)
    assert s.bot is not None and s.bot.screen.check(TIER2).tier == 2
    screen.read.clear()
    cases_before = await mod_cases(s)
    dms_before = len(s.dms_to("Mia"))
    mark = s.mark()
    message = await s.say("Mia", "circle-room", TIER2)  # out of turn (Ken holds the stick), filtered, tier 2
    calls = s.since(mark)
    assert screen.read == [TIER2]  # screened once, for crisis care, the filters and the reminder together
    # Crisis care came first: the bot's first message goes to Mia's DM (opened when the filter removed her
    # first message), and it is the private check-in.
    first_post = next(c for c in calls if c.method == "POST" and c.path == "/channels/{channel_id}/messages")
    assert first_post.params["channel_id"] == str(s.dm_channels[s.user_id("Mia")])
    new_dms = s.dms_to("Mia")[dms_before:]
    assert len(new_dms) == 1 and "automatic message" in new_dms[0]["content"]
    assert "gentle reminder" not in new_dms[0]["content"]  # no "wait your turn" for someone who may be in crisis
    # The filter held back: nothing deleted, no warning, no mod-log case.
    assert message in s.messages[s.channel_id("circle-room")]
    assert calls_of(calls, "DELETE", "/messages/{message_id}") == []
    assert await mod_cases(s) == cases_before


async def test_a_member_who_turned_the_screen_off_gets_no_care_no_record_and_still_no_punishment(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    screen, alerts = await moderated_gentle_circle(s)
    await s.slash("Lu", "resources screen", setting="off")
    assert s.bot is not None and s.bot.screen.check(TIER3).tier == 3
    screen.read.clear()
    cases_before = await mod_cases(s)
    dms_before = len(s.dms_to("Lu"))
    alerts_before = len(s.messages.get(alerts, []))
    mark = s.mark()
    message = await s.say("Lu", "circle-room", TIER3)  # out of turn, filtered, tier 3
    calls = s.since(mark)
    assert screen.read == [TIER3]  # the shield: read in memory, once, for nothing but holding punishment back
    assert s.dms_to("Lu")[dms_before:] == []  # no check-in and no reminder
    assert len(s.messages.get(alerts, [])) == alerts_before  # no alert
    assert await s.bot.db.fetchall("SELECT * FROM crisis_responses WHERE user_id = ?", (s.user_id("Lu"),)) == []
    assert message in s.messages[s.channel_id("circle-room")]
    assert calls_of(calls, "DELETE", "/messages/{message_id}") == []
    assert await mod_cases(s) == cases_before
    # An ordinary message of Lu's out of turn still gets the gentle reminder: only the flagged one was shielded.
    await s.say("Lu", "circle-room", "sorry, can I add something")
    assert len(s.dms_to("Lu")) == dms_before + 1 and "gentle reminder" in s.dms_to("Lu")[-1]["content"]
