"""Community guidelines through the real discord.py client: the rules gate, filters, the ladder, the mod log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import discord

from bot.domain.guidelines import DEFAULT_RULES
from bot.testing import EPHEMERAL, StandIn, channel_option, role_option, user_option, walk_components
from tests.circle_helpers import calls_of, circle_state

FACILITATORS, REGULARS, ADMINS = 501, 502, 503
MEMBER_PATH = "/guilds/{guild_id}/members/{user_id}"
DELETE_PATH = "/channels/{channel_id}/messages/{message_id}"


# --- a server with roles, a facilitator and a mod log --------------------------------------------------------


def _bot_role(s: StandIn) -> dict[str, Any]:
    return next(r for r in s.guild["roles"] if (r.get("tags") or {}).get("bot_id") == s.bot_user["id"])


def _set_role(s: StandIn, role: dict[str, Any], *, new: bool = False) -> None:
    if new:
        s.guild["roles"].append(role)
    s.feed_now("GUILD_ROLE_CREATE" if new else "GUILD_ROLE_UPDATE", {"guild_id": s.guild["id"], "role": role})


def _add_role(s: StandIn, role_id: int, name: str, position: int, permissions: int = 0) -> None:
    role = dict(s.guild["roles"][0], id=str(role_id), name=name, position=position, permissions=str(permissions))
    _set_role(s, role, new=True)


async def _give_role(s: StandIn, name: str, role_id: int) -> None:
    member = s.member(s.user_id(name))
    member["roles"] = [*member["roles"], str(role_id)]
    await s.feed("GUILD_MEMBER_UPDATE", {**member, "guild_id": s.guild["id"]})


def _bot_permissions(s: StandIn, **changes: bool) -> None:
    role = _bot_role(s)
    perms = discord.Permissions(int(role["permissions"]))
    perms.update(**changes)
    role["permissions"] = str(perms.value)
    _set_role(s, role)


async def moderated_server(s: StandIn) -> None:
    """Ken facilitates (role above the members'), an Admins role has Manage Server, #general is the mod log."""
    bot_role = _bot_role(s)
    bot_role["position"] = 10
    _set_role(s, bot_role)
    _add_role(s, FACILITATORS, "Facilitators", 3)
    _add_role(s, REGULARS, "Regulars", 1)
    _add_role(s, ADMINS, "Admins", 5, permissions=discord.Permissions(manage_guild=True).value)
    await _give_role(s, "Ken", FACILITATORS)
    await s.slash("Rosa", "config facilitator-role", role=role_option(FACILITATORS))
    await set_mod_log(s, "Rosa", "general")
    assert "Cases will be posted" in s.last_reply("Rosa")["content"]


async def set_mod_log(s: StandIn, who: str, channel: str) -> None:
    """`/config mod-log channel:` (the option's name is the stand-in's own `channel` argument, so build it here)."""
    data = s.slash_payload(s.user_id(who), "config mod-log", None, channel=channel_option(s.channel_id(channel)))
    await s.feed("INTERACTION_CREATE", data)


def cases_posted(s: StandIn) -> list[dict[str, Any]]:
    """The mod log's case embeds, oldest first."""
    return [m["embeds"][0] for m in s.bot_messages("general") if m["embeds"]]


def field(embed: dict[str, Any], name: str) -> str:
    return next(f["value"] for f in embed["fields"] if f["name"] == name)


async def case_rows(s: StandIn) -> list[tuple[Any, ...]]:
    assert s.bot is not None
    rows = await s.bot.db.fetchall("SELECT number, kind, user_id, points, pardoned_at IS NOT NULL FROM mod_cases")
    return [tuple(row) for row in rows]


def timeouts(s: StandIn, mark: int) -> list[datetime | None]:
    return [
        datetime.fromisoformat(c.json["communication_disabled_until"])
        if c.json["communication_disabled_until"]
        else None
        for c in s.since(mark)
        if c.method == "PATCH" and c.path == MEMBER_PATH and "communication_disabled_until" in (c.json or {})
    ]


def card(s: StandIn) -> dict[str, Any]:
    for message in reversed(s.bot_messages("circle-room")):
        if any(str(c.get("custom_id", "")).startswith("circle:join:") for c in walk_components(message)):
            return message
    raise AssertionError("no circle card")


def modal_of(s: StandIn, token: str) -> dict[str, Any]:
    return s.tokens[token]["_modal"]  # type: ignore[no-any-return]


async def submit_rules(s: StandIn, admin: str, token: str, text: str) -> None:
    modal = modal_of(s, token)
    field_id = modal["components"][0]["components"][0]["custom_id"]
    await s.submit_modal(admin, modal["custom_id"], {field_id: text})


# --- (1) the rules gate ---------------------------------------------------------------------------------------


async def test_joining_asks_for_the_rules_then_joins_at_once_and_asks_again_after_an_edit(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await moderated_server(s)
    ken, mia = s.user_id("Ken"), s.user_id("Mia")
    await s.slash("Rosa", "circle open")

    # Without agreements nobody is asked anything.
    await s.slash("Lu", "circle join")
    assert s.user_id("Lu") in (await circle_state(s)).participants

    # First /rules edit offers the suggested set; the admin adopts it.
    await s.slash("Rosa", "rules edit")
    offer = s.last_reply("Rosa")
    assert offer["flags"] & EPHEMERAL and "drawn from peer-support practice" in offer["content"]
    assert DEFAULT_RULES[0] in offer["embeds"][0]["description"]
    await s.click("Rosa", offer, "Use these")
    assert "version 1" in s.last_reply("Rosa")["content"]
    assert cases_posted(s)[-1]["title"] == "Case 1 · Agreements edited"

    # Ken tries to join: he is shown the agreements with "I agree", and is not in the circle yet.
    await s.slash("Ken", "circle join")
    asked = s.last_reply("Ken")
    assert asked["flags"] & EPHEMERAL and "Before you join a circle" in asked["content"]
    assert "1. What is shared here stays here." in asked["embeds"][0]["description"]
    assert ken not in (await circle_state(s)).participants
    await s.click("Ken", asked, "I agree")
    assert ken in (await circle_state(s)).participants
    assert "Thank you for agreeing" in asked["content"]  # the rules message is edited in place, button gone
    assert not list(walk_components(asked))
    assert s.last_reply("Ken")["content"].startswith("You're in")
    assert s.bot is not None
    row = await s.bot.db.fetchone("SELECT version, accepted_at FROM rule_acceptances WHERE user_id = ?", (ken,))
    assert row is not None and row["version"] == 1 and row["accepted_at"].startswith("2026-03-10")

    # The card's Join button goes through the same gate.
    await s.click("Mia", card(s), "Join")
    asked_mia = s.last_reply("Mia")
    assert "Before you join a circle" in asked_mia["content"] and mia not in (await circle_state(s)).participants
    await s.click("Mia", asked_mia, "I agree")
    assert mia in (await circle_state(s)).participants

    # The admin edits the agreements: version 2, a case in the mod log.
    token = await s.slash("Rosa", "rules edit")
    modal = modal_of(s, token)
    assert "1. What is shared here stays here." in modal["components"][0]["components"][0]["value"]
    await submit_rules(s, "Rosa", token, "1. What is shared here stays here.\n2. Be gentle.\n")
    assert "version 2" in s.last_reply("Rosa")["content"]
    assert cases_posted(s)[-1]["title"] == "Case 2 · Agreements edited"

    # Ken left and comes back: he must agree to version 2 first. His old button cannot accept version 2.
    await s.slash("Ken", "circle leave")
    await s.slash("Ken", "circle join")
    again = s.last_reply("Ken")
    assert "have changed since you last agreed" in again["content"]
    assert "2. Be gentle." in again["embeds"][0]["description"]
    assert ken not in (await circle_state(s)).participants
    await s.click("Ken", again, "I agree")
    assert ken in (await circle_state(s)).participants
    row = await s.bot.db.fetchone("SELECT version FROM rule_acceptances WHERE user_id = ?", (ken,))
    assert row is not None and row["version"] == 2


async def test_an_old_i_agree_button_shows_the_new_version_instead_of_accepting_it(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "rules edit")
    await s.click("Rosa", s.last_reply("Rosa"), "Use these")
    await s.slash("Rosa", "circle open")
    await s.slash("Mia", "circle join")
    stale = s.last_reply("Mia")
    token = await s.slash("Rosa", "rules edit")
    await submit_rules(s, "Rosa", token, "Only one agreement now.")
    await s.click("Mia", stale, "I agree")
    assert "changed a moment ago" in stale["content"]
    assert stale["embeds"][0]["description"] == "1. Only one agreement now."
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM rule_acceptances") is None
    assert s.user_id("Mia") not in (await circle_state(s)).participants
    await s.click("Mia", stale, "I agree")  # the refreshed button carries version 2 and the waiting join
    assert s.user_id("Mia") in (await circle_state(s)).participants


async def test_rules_show_and_edit_refusals_change_nothing(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Mia", "rules show")
    assert "hasn't written its agreements" in s.last_reply("Mia")["content"]
    assert "/rules edit" not in s.last_reply("Mia")["content"]
    await s.slash("Mia", "rules edit")
    assert "Only server admins" in s.last_reply("Mia")["content"]

    # "Write our own" opens an empty modal; an empty list is refused kindly.
    await s.slash("Rosa", "rules edit")
    token = await s.click("Rosa", s.last_reply("Rosa"), "Write our own")
    await submit_rules(s, "Rosa", token, "\n  \n")
    assert "The list is empty" in s.last_reply("Rosa")["content"]
    assert s.last_reply("Rosa")["flags"] & EPHEMERAL
    await submit_rules(s, "Rosa", token, "\n".join(f"Rule {n}." for n in range(21)))
    assert "keep it to 20" in s.last_reply("Rosa")["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM guideline_rules") is None

    await submit_rules(s, "Rosa", token, "- Listen.\n- Be kind.")
    assert "version 1" in s.last_reply("Rosa")["content"]
    # Saving the same list again is not a new version.
    token = await s.slash("Rosa", "rules edit")
    await submit_rules(s, "Rosa", token, "1. Listen.\n2. Be kind.")
    assert "Nothing changed" in s.last_reply("Rosa")["content"]
    row = await s.bot.db.fetchone("SELECT version FROM guideline_rules")
    assert row is not None and row[0] == 1

    await s.slash("Mia", "rules show")
    shown = s.last_reply("Mia")
    assert shown["embeds"][0]["description"] == "1. Listen.\n2. Be kind."
    assert "haven't agreed" in shown["content"]
    await s.click("Mia", shown, "I agree")
    assert "You can join circles now" in shown["content"]
    await s.slash("Mia", "rules show")
    assert "You've agreed" in s.last_reply("Mia")["content"]
    assert not list(walk_components(s.last_reply("Mia")))


async def test_edit_them_first_opens_the_form_with_the_suggested_agreements(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "rules edit")
    token = await s.click("Rosa", s.last_reply("Rosa"), "Edit them first")
    suggested = modal_of(s, token)["components"][0]["components"][0]["value"]
    assert suggested.splitlines()[1] == f"2. {DEFAULT_RULES[1]}"
    await submit_rules(s, "Rosa", token, suggested + "\n8. Phones on silent, please.")
    assert s.bot is not None
    rules = await s.bot.store.guidelines.rules(s.guild_id)
    assert rules is not None and rules.version == 1 and rules.rules == (*DEFAULT_RULES, "Phones on silent, please.")


# --- (2) filters ----------------------------------------------------------------------------------------------


async def test_phrase_filter_catches_disguises_but_not_longer_words(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    await s.slash("Rosa", "filter add", kind="phrase", text="Ass", action="delete", scope="server")
    added = s.last_reply("Rosa")
    assert added["flags"] & EPHEMERAL and "phrase “Ass”" in added["content"] and "“ass”" in added["content"]
    mia = s.user_id("Mia")
    for text in ("you ASS", "what an àss", "you аss", "kiss my 4ss", "a$$!", "@ss"):  # Cyrillic а in the third
        message = await s.say("Mia", "general", text)
        assert message not in s.messages[s.channel_id("general")], text
    for text in ("class is over", "I'll assist", "bass guitar", "passing through"):
        message = await s.say("Mia", "general", text)
        assert message in s.messages[s.channel_id("general")], text
    notes = s.dms_to(mia)
    assert len(notes) == 6 and "the phrase “Ass”" in notes[0]["content"] and "removed" in notes[0]["content"]
    posted = cases_posted(s)
    assert [e["title"] for e in posted] == [f"Case {n} · Filter hit" for n in range(1, 7)]
    assert field(posted[0], "Member") == f"<@{mia}>" and "message deleted" in field(posted[0], "Filter")
    assert all("you ASS" not in str(e) for e in posted)  # the mod log never repeats what was said
    assert s.bot is not None
    rows = await s.bot.db.fetchall("SELECT * FROM mod_cases")
    assert all("ASS" not in str(tuple(row)) for row in rows)  # nor does the database

    await s.slash("Rosa", "filter test", text="Big ÄSS energy")
    tested = s.last_reply("Rosa")["content"]
    assert "big ass energy" in tested and "phrase “Ass”" in tested


async def test_patterns_are_compiled_safely_and_bad_ones_refused_with_a_reason(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    await s.slash("Rosa", "filter add", kind="pattern", text=r"(a)\1", action="delete")
    assert "Backreferences" in s.last_reply("Rosa")["content"]
    await s.slash("Rosa", "filter add", kind="pattern", text=r"(?<=free )nitro", action="delete")
    assert "Lookbehinds" in s.last_reply("Rosa")["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM guideline_filters") is None

    # The classic catastrophic pattern is accepted because RE2 never backtracks: 100,000 characters go through.
    await s.slash("Rosa", "filter add", kind="pattern", text="(a+)+$", action="alert", scope="server")
    assert "Added" in s.last_reply("Rosa")["content"]
    mark = s.mark()
    bait = await s.say("Sam", "general", "a" * 100_000 + "!")
    assert bait in s.messages[s.channel_id("general")]  # alert: left in place
    assert not calls_of(s.since(mark), "DELETE", "/messages/{message_id}")
    alert = cases_posted(s)[-1]
    assert alert["title"] == "Case 1 · Filter hit" and "left in place" in field(alert, "Filter")
    assert "Jump to it" in field(alert, "Message")
    assert s.dms_to("Sam") == []  # an alert tells the mod log only
    await s.say("Sam", "general", "x" * 100_000)
    assert len(cases_posted(s)) == 1


async def test_circle_scope_filters_only_channels_with_a_circle(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    await s.slash("Rosa", "filter add", kind="phrase", text="advice", action="delete")  # scope: circles
    kept = await s.say("Mia", "circle-room", "any advice?")
    assert kept in s.messages[s.channel_id("circle-room")]  # no circle here yet
    await s.slash("Rosa", "circle open")
    gone = await s.say("Mia", "circle-room", "any advice?")
    assert gone not in s.messages[s.channel_id("circle-room")]
    elsewhere = await s.say("Mia", "general", "any advice?")
    assert elsewhere in s.messages[s.channel_id("general")]


async def test_filter_list_remove_with_autocomplete_and_admin_only(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "filter add", kind="phrase", text="jerk", action="warn")
    await s.slash("Rosa", "filter add", kind="phrase", text="JERK!", action="alert")
    assert "already a filter" in s.last_reply("Rosa")["content"]
    await s.slash("Rosa", "filter add", kind="pattern", text=r"free\s+nitro", action="alert", scope="server")
    await s.slash("Rosa", "filter list")
    listed = s.last_reply("Rosa")["embeds"][0]
    assert listed["title"] == "Filters (2)" and "phrase “jerk” → warn" in listed["description"]

    data = s.slash_payload(s.user_id("Rosa"), "filter remove", filter="nit")
    data["type"] = 4
    data["data"]["options"][0]["options"][0]["focused"] = True
    await s.feed("INTERACTION_CREATE", data)
    choices = s.calls[-1].json["data"]["choices"]
    assert len(choices) == 1 and "pattern" in choices[0]["name"]
    await s.slash("Rosa", "filter remove", filter=choices[0]["value"])
    assert "Removed" in s.last_reply("Rosa")["content"]
    await s.slash("Rosa", "filter remove", filter="99999")
    assert "can't find that filter" in s.last_reply("Rosa")["content"]

    # Members are refused kindly, see no filter texts in autocomplete, and nothing changes.
    await s.slash("Mia", "filter add", kind="phrase", text="hello", action="delete")
    assert "Only server admins" in s.last_reply("Mia")["content"]
    data = s.slash_payload(s.user_id("Mia"), "filter remove", filter="")
    data["type"] = 4
    data["data"]["options"][0]["options"][0]["focused"] = True
    await s.feed("INTERACTION_CREATE", data)
    assert s.calls[-1].json["data"]["choices"] == []
    assert s.bot is not None
    rows = await s.bot.db.fetchall("SELECT text FROM guideline_filters")
    assert [r[0] for r in rows] == ["jerk"]
    assert "/filter" not in s.last_reply("Mia")["content"]


# --- (3) warnings and the ladder ------------------------------------------------------------------------------


async def test_the_ladder_times_out_with_configured_durations_expires_and_pardons(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    mia = s.user_id("Mia")
    await s.slash("Rosa", "config ladder", steps="2=15m, 3=2h, 4=alert")
    assert "a timeout of 15 minutes" in s.last_reply("Rosa")["content"]
    await s.slash("Rosa", "config warn-expiry", days=14)
    await s.slash("Rosa", "config appeal", text="Write to Rosa if this feels unfair.")
    await s.slash("Rosa", "rules edit")
    await s.click("Rosa", s.last_reply("Rosa"), "Use these")  # case 1
    start = s.clock.now()

    mark = s.mark()
    await s.slash("Ken", "warn", member=user_option(mia), reason="Gave advice nobody asked for.", rule=3)
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL and "case 2" in reply["content"] and "1 active" in reply["content"]
    assert timeouts(s, mark) == []
    note = s.dms_to(mia)[-1]["content"]
    assert "Gave advice nobody asked for." in note and "Agreement 3:" in note and "Listen without fixing" in note
    assert "Write to Rosa if this feels unfair." in note and "14 days" in note

    s.clock.advance(3600)
    mark = s.mark()
    await s.slash("Ken", "warn", member=user_option(mia), reason="Again.")
    assert timeouts(s, mark) == [s.clock.now() + timedelta(minutes=15)]
    assert "timed out for 15 minutes (case 4)" in s.last_reply("Ken")["content"]
    assert "timed out for 15 minutes" in s.dms_to(mia)[-1]["content"]

    mark = s.mark()
    await s.slash("Ken", "warn", member=user_option(mia), reason="And again.")
    assert timeouts(s, mark) == [s.clock.now() + timedelta(hours=2)]  # case 5 warning, case 6 timeout
    titles = [e["title"] for e in cases_posted(s)]
    assert titles[-5:] == [
        "Case 2 · Warning",
        "Case 3 · Warning",
        "Case 4 · Timeout",
        "Case 5 · Warning",
        "Case 6 · Timeout",
    ]
    assert field(cases_posted(s)[-1], "Follows") == "case 5"
    assert field(cases_posted(s)[-2], "Points").startswith("1 (3 active now")

    # Pardon the last warning: its points stop counting and the 2-hour timeout it caused is lifted.
    mark = s.mark()
    await s.slash("Ken", "pardon", case=5)
    assert "case 5 no longer counts (case 7)" in s.last_reply("Ken")["content"]
    assert timeouts(s, mark) == [None]
    pardon = cases_posted(s)[-1]
    assert pardon["title"] == "Case 7 · Pardon" and "timeout from case 6 was lifted" in field(pardon, "Note")
    assert "pardoned" in s.dms_to(mia)[-1]["content"]
    await s.slash("Ken", "pardon", case=5)
    assert "already pardoned" in s.last_reply("Ken")["content"]

    # 14 days after the first two warnings they expire: a new warning starts from 1 and times nobody out.
    s.clock.set(start + timedelta(days=14, hours=2))
    mark = s.mark()
    await s.slash("Ken", "warn", member=user_option(mia), reason="A new start.")
    assert timeouts(s, mark) == [] and "1 active now" in s.last_reply("Ken")["content"]

    # Two more within the window: 2 points (15 minutes), then 4 at once: past 3, up to the alert.
    mark = s.mark()
    await s.slash("Ken", "warn", member=user_option(mia), reason="Shouting.")
    await s.slash("Ken", "warn", member=user_option(mia), reason="Shouting more.", points=2)
    assert timeouts(s, mark) == [s.clock.now() + timedelta(minutes=15)]
    assert "asked the admins to step in" in s.last_reply("Ken")["content"]
    alert = cases_posted(s)[-1]
    assert alert["title"] == "Case 12 · The admins are needed" and "never bans" in field(alert, "Note")

    await s.slash("Ken", "warnings", member=user_option(mia))
    seen = s.last_reply("Ken")["embeds"][0]
    assert field(seen, "Active points") == "4"
    assert "pardoned (case 7)" in seen["description"] and "expired" in seen["description"]
    await s.slash("Mia", "warnings", member=user_option(mia))  # a member can see their own record
    assert field(s.last_reply("Mia")["embeds"][0], "Active points") == "4"
    await s.slash("Mia", "warnings", member=user_option(s.user_id("Lu")))
    assert "Only facilitators" in s.last_reply("Mia")["content"]


async def test_ladder_longer_than_28_days_is_refused_and_nothing_changes(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config ladder", steps="2=10m, 3=29d")
    assert "at most 28 days" in s.last_reply("Rosa")["content"]
    await s.slash("Rosa", "config ladder", steps="3=1h, 2=10m")
    assert "more points as they go up" in s.last_reply("Rosa")["content"]
    await s.slash("Rosa", "config ladder")
    shown = s.last_reply("Rosa")["content"]
    assert "a timeout of 10 minutes" in shown and "steps:2=10m, 3=1h, 4=1d, 5=alert" in shown
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM moderation_settings") is None


async def test_filter_warn_action_deletes_warns_and_climbs_the_ladder(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    await s.slash("Rosa", "filter add", kind="phrase", text="idiot", action="warn", scope="server")
    mia = s.user_id("Mia")
    mark = s.mark()
    await s.say("Mia", "general", "you IDIOT")
    await s.say("Mia", "general", "1d10t")
    assert len(calls_of(s.since(mark), "DELETE", "/messages/{message_id}")) == 2
    assert timeouts(s, mark) == [s.clock.now() + timedelta(minutes=10)]
    assert [e["title"] for e in cases_posted(s)] == ["Case 1 · Warning", "Case 2 · Warning", "Case 3 · Timeout"]
    assert field(cases_posted(s)[0], "By") == "the bot"
    note = s.dms_to(mia)[0]["content"]
    assert "removed and counted as a warning" in note and "the phrase “idiot”" in note

    # The owner (or an admin) is never warned by a filter: the message goes, the case says why.
    await s.say("Rosa", "general", "idiot")
    last = cases_posted(s)[-1]
    assert last["title"] == "Case 4 · Filter hit" and "Not warned: the bot never warns the owner" in field(last, "Note")


# --- (4) the crisis screen comes first ------------------------------------------------------------------------


async def test_a_message_the_crisis_screen_flags_is_never_deleted_warned_or_timed_out(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await moderated_server(s)
    text = "i want to kill myself"
    assert s.bot is not None
    assert s.bot.screen.check(text).flagged  # the real screen, the same one the crisis cog uses
    await s.slash("Rosa", "filter add", kind="phrase", text="kill", action="warn", scope="server")
    await s.slash("Rosa", "filter add", kind="pattern", text="myself", action="delete", scope="server")
    await s.slash("Rosa", "filter add", kind="phrase", text="want", action="alert", scope="server")
    await s.slash("Ken", "warn", member=user_option(s.user_id("Mia")), reason="Earlier.")  # one point already
    before_cases = await case_rows(s)
    before_log = len(cases_posted(s))
    mark = s.mark()
    message = await s.say("Mia", "general", text)
    calls = s.since(mark)
    assert message in s.messages[s.channel_id("general")]
    assert not calls_of(calls, "DELETE", "/messages/{message_id}")
    assert timeouts(s, mark) == []
    assert await case_rows(s) == before_cases
    assert len(cases_posted(s)) == before_log  # nothing reaches the mod log
    # The same filters still act on a message the screen does not flag.
    await s.say("Mia", "general", "i want to kill this bug")
    assert cases_posted(s)[-1]["title"].endswith("Timeout")
    await s.slash("Rosa", "filter test", text=text)
    assert "crisis screen would flag" in s.last_reply("Rosa")["content"]


# --- (5) refusals and missing permissions ---------------------------------------------------------------------


async def test_every_warning_refusal_is_kind_and_changes_nothing(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    await _give_role(s, "Lu", FACILITATORS)  # same rank as Ken
    await _give_role(s, "Sam", ADMINS)
    refusals = [
        ("Ken", s.user_id("Ken"), "give yourself a warning"),
        ("Ken", s.user_id("Rosa"), "server owner can't be warned"),
        ("Ken", s.bot_id, "Bots can't be warned"),
        ("Ken", s.user_id("Sam"), "Admins can't be warned"),
        ("Ken", s.user_id("Lu"), "highest role is below yours"),
        ("Mia", s.user_id("Lu"), "Only facilitators can do that"),
    ]
    mark = s.mark()
    for actor, target, words in refusals:
        await s.slash(actor, "warn", member=user_option(target), reason="Testing.")
        reply = s.last_reply(actor)
        assert reply["flags"] & EPHEMERAL and words in reply["content"], (actor, target, reply["content"])
        assert "Traceback" not in reply["content"] and str(target) not in reply["content"]
    await s.slash("Ken", "warn", member=user_option(s.user_id("Mia")), reason="Testing.", rule=9)
    assert "no number 9" in s.last_reply("Ken")["content"]
    await s.slash("Ken", "pardon", case=42)
    assert "can't find case 42" in s.last_reply("Ken")["content"]
    await s.slash("Mia", "pardon", case=1)
    assert "Only facilitators" in s.last_reply("Mia")["content"]
    assert await case_rows(s) == []
    assert timeouts(s, mark) == []
    assert all(not s.dms_to(name) for name in ("Rosa", "Lu", "Sam", "Mia"))
    assert cases_posted(s) == []

    # A pardon of something that isn't a warning, or of your own warning, is refused too.
    await s.slash("Rosa", "rules edit")
    await s.click("Rosa", s.last_reply("Rosa"), "Use these")  # case 1: a rules edit
    await s.slash("Ken", "pardon", case=1)
    assert "isn't a warning" in s.last_reply("Ken")["content"]
    await s.slash("Rosa", "warn", member=user_option(s.user_id("Ken")), reason="Late again.")  # case 2
    await s.slash("Ken", "pardon", case=2)
    assert "given to you" in s.last_reply("Ken")["content"]
    assert [row[4] for row in await case_rows(s)] == [0, 0]


async def test_missing_timeout_and_manage_messages_permissions_are_named(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    mia = s.user_id("Mia")
    _bot_permissions(s, moderate_members=False, manage_messages=False)

    await s.slash("Ken", "warn", member=user_option(mia), reason="First.")  # 1 point: no timeout needed
    assert "case 1" in s.last_reply("Ken")["content"]
    mark = s.mark()
    await s.slash("Ken", "warn", member=user_option(mia), reason="Second.")
    refused = s.last_reply("Ken")["content"]
    assert "**Timeout Members**" in refused and "didn't record this warning" in refused
    assert timeouts(s, mark) == [] and len(await case_rows(s)) == 1

    await s.slash("Rosa", "filter add", kind="phrase", text="jerk", action="delete", scope="server")
    assert "**Manage Messages**" in s.last_reply("Rosa")["content"]
    message = await s.say("Mia", "general", "jerk")
    assert message in s.messages[s.channel_id("general")]
    assert "**Manage Messages**" in field(cases_posted(s)[-1], "Note")
    assert len(s.dms_to(mia)) == 1  # the warning's note only: nothing was removed, so nothing to tell

    # With the permission back but the bot's role below the member's, the hierarchy is named instead.
    _bot_permissions(s, moderate_members=True, manage_messages=True)
    bot_role = _bot_role(s)
    bot_role["position"] = 1
    _set_role(s, bot_role)
    _add_role(s, 504, "Elders", 2)
    await _give_role(s, "Mia", 504)
    await s.slash("Ken", "warn", member=user_option(mia), reason="Second.")
    assert "my role isn't above theirs" in s.last_reply("Ken")["content"]


async def test_mod_log_needs_a_channel_the_bot_can_post_in(discord_standin: StandIn) -> None:
    s = discord_standin
    room = s.channel(s.channel_id("general"))
    room["permission_overwrites"] = [{"id": s.bot_user["id"], "type": 1, "allow": "0", "deny": str(1 << 14)}]
    await s.feed("CHANNEL_UPDATE", {**room, "guild_id": s.guild["id"]})
    await set_mod_log(s, "Rosa", "general")
    refused = s.last_reply("Rosa")["content"]
    assert "**Embed Links**" in refused and "Nothing was changed" in refused
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM moderation_settings") is None
    await set_mod_log(s, "Mia", "circle-room")
    assert "Only server admins" in s.last_reply("Mia")["content"]
    assert await s.bot.db.fetchone("SELECT 1 FROM moderation_settings") is None


async def test_closed_dms_change_nothing_else(discord_standin: StandIn) -> None:
    s = discord_standin
    await moderated_server(s)
    s.closed_dms.add(s.user_id("Mia"))
    await s.slash("Rosa", "filter add", kind="phrase", text="jerk", action="delete", scope="server")
    message = await s.say("Mia", "general", "jerk")
    assert message not in s.messages[s.channel_id("general")]
    await s.slash("Ken", "warn", member=user_option(s.user_id("Mia")), reason="Be kind.")
    assert "DMs are closed" in s.last_reply("Ken")["content"]
    assert [e["title"] for e in cases_posted(s)] == ["Case 1 · Filter hit", "Case 2 · Warning"]
