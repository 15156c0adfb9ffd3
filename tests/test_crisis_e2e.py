"""Crisis care through the real discord.py client on the stand-in: one story per test.

The messages below go through the real screen; each test first asserts the tier the screen gives them, so a
change in the lexicon shows up as that, not as a puzzling failure further down.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import EXTENSIONS
from bot.domain.crisis import Finding
from bot.testing import EPHEMERAL, StandIn, channel_option, role_option, walk_components

TIER2 = "i want to die"
TIER3 = "im going to kill myself tonight"
HOUR = 3600
DAY = 24 * HOUR
FACILITATOR_ROLE = 555
DM_OPEN = ("POST", "/users/@me/channels")
CHECK_IN_BUTTONS = ["Talk to a facilitator", "More resources", "I'm okay"]


class CountingScreen:
    """The real screen, counting the messages it is given: a message out of scope must never reach it."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.read: list[str] = []

    def check(self, text: str) -> Finding:
        self.read.append(text)
        return self.screen.check(text)  # type: ignore[no-any-return]


def counting(s: StandIn) -> CountingScreen:
    assert s.bot is not None
    wrapper = CountingScreen(s.bot.screen)
    s.bot.screen = wrapper  # type: ignore[assignment]
    return wrapper


def tier_of(s: StandIn, text: str) -> int:
    assert s.bot is not None
    return int(s.bot.screen.check(text).tier)


def add_private_channel(s: StandIn, name: str, *, facilitators_see: bool = True) -> int:
    """A text channel @everyone cannot see; the bot (and the facilitator role) can."""
    channel_id = s.next_id()
    overwrites = [
        {"id": s.guild["id"], "type": 0, "allow": "0", "deny": "1024"},
        {"id": str(s.bot_id), "type": 1, "allow": str(1024 | 2048 | 65536), "deny": "0"},
    ]
    if facilitators_see:
        overwrites.append({"id": str(FACILITATOR_ROLE), "type": 0, "allow": str(1024 | 2048), "deny": "0"})
    channel = {
        "id": str(channel_id),
        "type": 0,
        "name": name,
        "position": len(s.guild["channels"]),
        "permission_overwrites": overwrites,
        "parent_id": None,
        "nsfw": False,
        "flags": 0,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "topic": None,
    }
    s.guild["channels"].append(channel)
    s.feed_now("CHANNEL_CREATE", {**channel, "guild_id": s.guild["id"]})
    return channel_id


async def slash_with_channel(s: StandIn, user: str, command: str, channel_id: int) -> None:
    """`/command channel:<channel_id>` (`slash()` itself takes `channel` as where the command is typed)."""
    data = s.slash_payload(s.user_id(user), command, None, channel=channel_option(channel_id))
    await s.feed("INTERACTION_CREATE", data)


async def add_facilitator_role(s: StandIn) -> None:
    role = dict(s.guild["roles"][0], id=str(FACILITATOR_ROLE), name="Facilitators", position=1, permissions="0")
    s.guild["roles"].append(role)
    s.feed_now("GUILD_ROLE_CREATE", {"guild_id": s.guild["id"], "role": role})
    await s.slash("Rosa", "config facilitator-role", role=role_option(FACILITATOR_ROLE))


async def alerts_on(s: StandIn) -> int:
    await add_facilitator_role(s)
    channel_id = add_private_channel(s, "facilitators")
    await slash_with_channel(s, "Rosa", "config crisis-alerts", channel_id)
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL and "private alert" in reply["content"], reply["content"]
    return channel_id


async def open_circle(s: StandIn) -> None:
    await s.slash("Rosa", "circle open")
    assert s.bot is not None
    assert await s.bot.store.circles.active_in_channel(s.channel_id("circle-room")) is not None


def labels(message: dict[str, Any]) -> list[str]:
    return [c["label"] for c in walk_components(message) if c.get("type") == 2]


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["label"]: c for c in walk_components(message) if c.get("type") == 2}


def posts(s: StandIn, mark: int) -> list[tuple[str, str, str]]:
    """Every call since `mark` as (method, path, channel id): what the bot did on Discord."""
    return [(c.method, c.path, c.params.get("channel_id", "")) for c in s.since(mark)]


def dm_channel(s: StandIn, name: str) -> str:
    return str(s.dm_channels[s.user_id(name)])


async def responses(s: StandIn) -> list[dict[str, Any]]:
    assert s.bot is not None
    return [dict(r) for r in await s.bot.db.fetchall("SELECT * FROM crisis_responses ORDER BY id")]


# --- the check-in ------------------------------------------------------------------------------------------


async def test_tier2_in_a_circle_channel_gets_one_private_check_in_with_the_members_country(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    assert tier_of(s, TIER2) == 2 and tier_of(s, TIER3) == 3
    await open_circle(s)
    await s.slash("Ken", "resources set-country", country="GB")
    assert "United Kingdom" in s.last_reply("Ken")["content"]
    room = s.channel_id("circle-room")
    public_before = len(s.bot_messages("circle-room"))

    mark = s.mark()
    said = await s.say("Ken", "circle-room", TIER2)
    # Exactly one DM: open the DM channel, post once. Nothing in the channel, no reaction, no deletion.
    assert posts(s, mark) == [(*DM_OPEN, ""), ("POST", "/channels/{channel_id}/messages", dm_channel(s, "Ken"))]
    [dm] = s.dms_to("Ken")
    text = dm["content"]
    assert "automatic message" in text and "not alone" in text
    assert "Samaritans" in text and "116 123" in text and "**999**" in text
    assert labels(dm) == CHECK_IN_BUTTONS
    assert all(str(s.guild_id) in b["custom_id"] for b in buttons(dm).values())
    assert "committed" not in text.lower() and "confidential" not in text.lower()
    assert len(s.bot_messages("circle-room")) == public_before
    assert said in s.messages[room]

    # Only tier, categories, time and the member: never the text or the message.
    [row] = await responses(s)
    assert (row["user_id"], row["kind"], row["tier"]) == (s.user_id("Ken"), "dm", 2)
    assert set(row) == {"id", "guild_id", "user_id", "kind", "tier", "categories", "at"}
    assert TIER2 not in str(row) and said["id"] not in str(row)

    # A second within 24 hours: nothing at all.
    await s.advance(HOUR)
    mark = s.mark()
    await s.say("Ken", "circle-room", TIER2)
    assert posts(s, mark) == []
    assert len(s.dms_to("Ken")) == 1

    # A higher tier within 24 hours: a new check-in.
    mark = s.mark()
    await s.say("Ken", "circle-room", TIER3)
    assert [p[:2] for p in posts(s, mark)] == [("POST", "/channels/{channel_id}/messages")]
    assert len(s.dms_to("Ken")) == 2
    assert "116 123" in s.dms_to("Ken")[-1]["content"]


async def test_server_region_then_directory_when_no_country_is_known(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_circle(s)
    await s.slash("Rosa", "config region", country="FR")
    assert "France" in s.last_reply("Rosa")["content"]
    await s.slash("Lu", "resources set-country", country="other")
    await s.slash("Sam", "resources set-country", country="DE")

    await s.say("Mia", "circle-room", TIER2)  # no choice of her own: the server's region
    assert "3114" in s.dms_to("Mia")[0]["content"] and "**112**" in s.dms_to("Mia")[0]["content"]
    await s.say("Sam", "circle-room", TIER2)  # her own choice wins over the region
    assert "TelefonSeelsorge" in s.dms_to("Sam")[0]["content"] and "3114" not in s.dms_to("Sam")[0]["content"]
    await s.say("Lu", "circle-room", TIER2)  # somewhere not listed: the directory and emergency guidance
    lu = s.dms_to("Lu")[0]["content"]
    assert "findahelpline.com" in lu and "local emergency number" in lu and "3114" not in lu

    await s.slash("Rosa", "config region", country="clear")
    await s.say("Ken", "circle-room", TIER2)
    ken = s.dms_to("Ken")[0]["content"]
    assert "findahelpline.com" in ken and "local emergency number" in ken


# --- facilitator alerts ------------------------------------------------------------------------------------


async def test_tier3_with_alerts_on_posts_a_private_alert_with_a_link_and_no_text(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_circle(s)
    alert_channel = await alerts_on(s)
    mark = s.mark()
    said = await s.say("Ken", "circle-room", TIER3)

    assert len(s.dms_to("Ken")) == 1
    assert "facilitators are also told privately" in s.dms_to("Ken")[0]["content"]
    alert = s.last_message(alert_channel)
    content = alert["content"]
    link = f"https://discord.com/channels/{s.guild_id}/{s.channel_id('circle-room')}/{said['id']}"
    assert link in content
    assert f"<@{s.user_id('Ken')}>" in content and "tier 3" in content
    assert content.startswith(f"<@&{FACILITATOR_ROLE}>")
    assert TIER3 not in content and "myself" not in content and "tonight" not in content
    assert labels(alert) == ["I'll reach out"]
    # The facilitator role is pinged; the member is named but never pinged.
    call = next(c for c in s.since(mark) if c.params.get("channel_id") == str(alert_channel))
    assert [int(r) for r in call.json["allowed_mentions"]["roles"]] == [FACILITATOR_ROLE]
    assert call.json["allowed_mentions"].get("users", []) == []
    # Only the DM and the alert: nothing posted where people talk.
    channels = {p[2] for p in posts(s, mark) if p[0] == "POST" and p[2]}
    assert channels == {dm_channel(s, "Ken"), str(alert_channel)}

    # A member can't take it; a facilitator can, and the alert shows who did.
    await s.click("Mia", alert, "I'll reach out")
    assert "Only facilitators" in s.last_reply("Mia")["content"]
    assert s.last_reply("Mia")["flags"] & EPHEMERAL
    await s.click("Rosa", alert, "I'll reach out")
    alert = s.last_message(alert_channel)
    assert f"<@{s.user_id('Rosa')}> is reaching out" in alert["content"]
    assert link in alert["content"]
    [taken] = list(buttons(alert).values())
    assert taken["disabled"] and taken["label"] == "Rosa is reaching out"

    # Another tier-3 message the same day: no second alert and no second DM.
    await s.advance(2 * HOUR)
    mark = s.mark()
    await s.say("Ken", "circle-room", TIER3)
    assert posts(s, mark) == []


async def test_with_dms_closed_the_alert_is_the_only_response(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_circle(s)
    alert_channel = await alerts_on(s)
    s.closed_dms.add(s.user_id("Ken"))
    mark = s.mark()
    await s.say("Ken", "circle-room", TIER3)
    assert s.dms_to("Ken") == []
    sent = [p for p in posts(s, mark) if p[0] == "POST" and p[2]]
    # The DM was tried (and refused by Discord with 50007); the alert is what got through.
    post = ("POST", "/channels/{channel_id}/messages")
    assert sent == [(*post, dm_channel(s, "Ken")), (*post, str(alert_channel))]
    assert "DMs are closed" in s.last_message(alert_channel)["content"]
    assert len(s.bot_messages(alert_channel)) == 2  # the "alerts come here" note and this alert


async def test_tier2_never_alerts_and_nothing_is_posted_without_an_alert_channel(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_circle(s)
    alert_channel = await alerts_on(s)
    await s.say("Ken", "circle-room", TIER2)
    assert len(s.bot_messages(alert_channel)) == 1  # only the "alerts come here" note
    await s.slash("Rosa", "config crisis-alerts")
    assert "alerts are off" in s.last_reply("Rosa")["content"]
    s.closed_dms.add(s.user_id("Mia"))
    mark = s.mark()
    await s.say("Mia", "circle-room", TIER3)
    assert [p for p in posts(s, mark) if p[2] and p[2] != dm_channel(s, "Mia")] == []


# --- the check-in's buttons ----------------------------------------------------------------------------------


async def test_im_okay_silences_check_ins_for_24_hours(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_circle(s)
    await s.say("Ken", "circle-room", TIER2)
    [dm] = s.dms_to("Ken")
    await s.click("Ken", dm, "I'm okay")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL and "won't message you" in reply["content"]

    await s.advance(HOUR)
    await s.say("Ken", "circle-room", TIER3)  # even a higher tier: no message that day
    await s.advance(22 * HOUR)
    await s.say("Ken", "circle-room", TIER2)
    assert len(s.dms_to("Ken")) == 1

    await s.advance(HOUR + 1)  # past 24 hours since "I'm okay"
    await s.say("Ken", "circle-room", TIER2)
    assert len(s.dms_to("Ken")) == 2
    # Nothing older than the day is kept.
    assert [(r["kind"], r["tier"]) for r in await responses(s)] == [("dm", 2)]


async def test_talk_to_a_facilitator_alerts_them_privately(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_circle(s)
    alert_channel = await alerts_on(s)
    await s.say("Ken", "circle-room", TIER2)
    [dm] = s.dms_to("Ken")
    mark = s.mark()
    await s.click("Ken", dm, "Talk to a facilitator")

    alert = s.last_message(alert_channel)
    assert f"<@{s.user_id('Ken')}> would like to talk with a facilitator" in alert["content"]
    assert TIER2 not in alert["content"]
    assert labels(alert) == ["I'll reach out"]
    # The member hears back privately, and the button can't send a second alert.
    reply = s.last_reply("Ken")
    assert "let the facilitators know" in reply["content"]
    assert buttons(s.dms_to("Ken")[0])["Facilitators told"]["disabled"]
    channels = {p[2] for p in posts(s, mark) if p[0] == "POST" and p[2]}
    assert channels == {str(alert_channel)}


async def test_talk_to_a_facilitator_without_an_alert_channel_says_how_to_reach_one(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_circle(s)
    await add_facilitator_role(s)
    await s.slash("Ken", "resources set-country", country="GB")
    await s.say("Ken", "circle-room", TIER2)
    [dm] = s.dms_to("Ken")
    mark = s.mark()
    await s.click("Ken", dm, "Talk to a facilitator")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL
    assert "**Facilitators** role" in reply["content"] and "**999**" in reply["content"]
    assert [p for p in posts(s, mark) if p[0] == "POST" and p[2]] == []


async def test_more_resources_lists_every_service_and_the_directories_and_survives_a_restart(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await open_circle(s)
    await s.slash("Ken", "resources set-country", country="DE")
    await s.say("Ken", "circle-room", TIER2)
    [dm] = s.dms_to("Ken")
    await s.restart()
    await s.click("Ken", dm, "More resources")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL
    assert "**Support in Germany**" in reply["content"] and "0800 111 0 111" in reply["content"]
    assert "Find A Helpline" in reply["content"] and "Befrienders Worldwide" in reply["content"]


# --- /resources --------------------------------------------------------------------------------------------


async def test_resources_show_is_private_for_a_chosen_country_and_an_unknown_one(discord_standin: StandIn) -> None:
    s = discord_standin
    mark = s.mark()
    await s.slash("Mia", "resources show", country="NZ")
    reply = s.last_reply("Mia")
    assert reply["flags"] & EPHEMERAL
    assert "New Zealand" in reply["content"] and "1737" in reply["content"] and "111" in reply["content"]
    assert "findahelpline.com" in reply["content"]

    await s.slash("Mia", "resources show", country="Narnia")
    reply = s.last_reply("Mia")
    assert reply["flags"] & EPHEMERAL
    assert "don't have a checked list of helplines for “Narnia”" in reply["content"]
    assert "findahelpline.com" in reply["content"] and "befrienders.org" in reply["content"]
    assert "local emergency number" in reply["content"]
    assert all(c.path.endswith("/callback") for c in s.since(mark))

    # Typed names work too; without a country it follows the member's own choice, else the server's region.
    await s.slash("Mia", "resources show", country="deutschland")
    assert "Germany" in s.last_reply("Mia")["content"]
    await s.slash("Mia", "resources show")
    assert "set-country" in s.last_reply("Mia")["content"]
    await s.slash("Rosa", "config region", country="AU")
    await s.slash("Mia", "resources show")
    assert "Lifeline" in s.last_reply("Mia")["content"]
    await s.slash("Mia", "resources set-country", country="JP")
    await s.slash("Mia", "resources show")
    assert "Japan" in s.last_reply("Mia")["content"]


async def test_country_autocomplete_offers_countries_and_the_special_answers(discord_standin: StandIn) -> None:
    s = discord_standin

    async def complete(command: str, typed: str) -> list[str]:
        data = s.slash_payload(s.user_id("Rosa"), command, country=typed)
        data["type"] = 4
        data["data"]["options"][0]["options"][0]["focused"] = True
        await s.feed("INTERACTION_CREATE", data)
        answer = s.calls[-1].json
        assert answer["type"] == 8
        return [c["value"] for c in answer["data"]["choices"]]

    assert await complete("resources set-country", "united") == ["GB", "US"]
    everything = await complete("resources set-country", "")
    assert len(everything) == 25 and everything[-2:] == ["other", "clear"]
    assert await complete("resources show", "deu") == ["DE"]
    assert (await complete("config region", ""))[-1] == "clear"


async def test_set_country_refuses_an_unknown_country_kindly(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Ken", "resources set-country", country="Atlantis")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL and "Somewhere not listed here" in reply["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM crisis_member_prefs") == []


# --- scope and consent -------------------------------------------------------------------------------------


async def test_outside_circle_channels_nothing_is_read_until_the_scope_is_the_server(discord_standin: StandIn) -> None:
    s = discord_standin
    screen = counting(s)
    mark = s.mark()
    await s.say("Ken", "general", TIER2)
    await s.say("Ken", "circle-room", TIER2)  # no circle open there either
    assert screen.read == [] and posts(s, mark) == []

    await s.slash("Rosa", "config crisis-scope", scope="server")
    assert "every channel" in s.last_reply("Rosa")["content"]
    await s.say("Ken", "general", TIER2)
    assert screen.read == [TIER2]
    assert len(s.dms_to("Ken")) == 1 and s.bot_messages("general") == []

    await s.slash("Rosa", "config crisis-scope", scope="off")
    await open_circle(s)
    await s.say("Mia", "circle-room", TIER3)
    assert screen.read == [TIER2] and s.dms_to("Mia") == []


async def test_a_member_who_opts_out_is_never_read(discord_standin: StandIn) -> None:
    s = discord_standin
    screen = counting(s)
    await open_circle(s)
    await s.slash("Ken", "resources screen", setting="off")
    assert "won't read your messages" in s.last_reply("Ken")["content"]
    await s.say("Ken", "circle-room", TIER3)
    assert screen.read == [] and s.dms_to("Ken") == []

    await s.slash("Ken", "resources screen", setting="on")
    assert "check in with you privately" in s.last_reply("Ken")["content"]
    await s.say("Ken", "circle-room", TIER2)
    assert screen.read == [TIER2] and len(s.dms_to("Ken")) == 1


async def test_bots_are_never_read(discord_standin: StandIn) -> None:
    s = discord_standin
    screen = counting(s)
    await s.slash("Rosa", "config crisis-scope", scope="server")
    s.member(s.user_id("Sam"))["user"]["bot"] = True
    await s.say("Sam", "general", TIER3)
    assert screen.read == []


async def test_crisis_alerts_refuse_a_channel_everyone_can_see(discord_standin: StandIn) -> None:
    s = discord_standin
    await slash_with_channel(s, "Rosa", "config crisis-alerts", s.channel_id("general"))
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL and "Everyone can see" in reply["content"]
    await s.slash("Ken", "config crisis-scope", scope="off")
    assert "Only server admins" in s.last_reply("Ken")["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM crisis_settings") == []


@pytest.mark.skipif("cogs.guidelines" not in EXTENSIONS, reason="the guidelines extension is not loaded")
async def test_a_flagged_message_that_hits_a_filter_is_never_deleted_and_never_reaches_the_mod_log(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await open_circle(s)
    alert_channel = await alerts_on(s)
    mod_log = add_private_channel(s, "mod-log")
    await slash_with_channel(s, "Rosa", "config mod-log", mod_log)
    await s.slash("Rosa", "filter add", kind="phrase", text="tonight", action="warn")
    logged = len(s.bot_messages(mod_log))
    said = await s.say("Ken", "circle-room", TIER3)
    assert said in s.messages[s.channel_id("circle-room")]
    assert len(s.bot_messages(mod_log)) == logged
    assert len(s.bot_messages(alert_channel)) == 2 and len(s.dms_to("Ken")) == 1
