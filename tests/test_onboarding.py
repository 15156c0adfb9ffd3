"""Onboarding through the stand-in: the welcome (once, ever), `/setup` step by step, the readiness check, `/help`."""

from __future__ import annotations

import copy
from typing import Any

from bot.access import Standing
from bot.testing import EPHEMERAL, StandIn, role_option
from cogs.onboarding.help import HELP
from cogs.onboarding.setup import WELCOME
from tests.test_config_e2e import _add_role
from tests.test_crisis_e2e import add_private_channel

FACILITATORS = 1310000000000000777


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for row in message.get("components", []) for item in row["components"]]


def select_id(message: dict[str, Any], kind: int, nth: int = 0) -> str:
    found = [c["custom_id"] for c in components(message) if c["type"] == kind]
    return found[nth]


async def join_guild(s: StandIn) -> None:
    """Discord removes the bot from the server and adds it again: GUILD_DELETE, then a GUILD_CREATE join."""
    await s.feed("GUILD_DELETE", {"id": s.guild["id"]})
    data = copy.deepcopy(s.guild)
    data.pop("unavailable", None)  # a join, not a server coming back online
    await s.feed("GUILD_CREATE", data)


def welcomes(s: StandIn) -> list[dict[str, Any]]:
    return [m for bucket in s.messages.values() for m in bucket if m.get("content") == WELCOME]


async def test_the_welcome_is_posted_once_ever(discord_standin: StandIn) -> None:
    s = discord_standin
    assert welcomes(s) == []  # coming online is not joining
    await join_guild(s)
    [welcome] = welcomes(s)
    assert int(welcome["channel_id"]) == s.channel_id("circle-room")  # the first channel it can post in
    await s.restart()
    await join_guild(s)
    assert len(welcomes(s)) == 1


async def test_the_welcome_goes_to_the_system_channel_when_there_is_one(discord_standin: StandIn) -> None:
    s = discord_standin
    s.guild["system_channel_id"] = str(s.channel_id("general"))
    await join_guild(s)
    [welcome] = welcomes(s)
    assert int(welcome["channel_id"]) == s.channel_id("general")


async def test_setup_walkthrough_stores_every_value_and_ends_with_a_ready_summary(discord_standin: StandIn) -> None:
    s = discord_standin
    _add_role(s, FACILITATORS, "Facilitators")
    await s.slash("Rosa", "setup")
    wizard = s.last_reply("Rosa")
    assert wizard["flags"] & EPHEMERAL and "Step 1 of 7" in wizard["content"] and "not set" in wizard["content"]
    await s.choose("Rosa", wizard, select_id(wizard, 6), [str(FACILITATORS)])  # role select
    assert "Step 2 of 7" in wizard["content"]
    await s.choose("Rosa", wizard, select_id(wizard, 3), ["Europe/Berlin"])
    assert "Step 3 of 7" in wizard["content"]
    await s.choose("Rosa", wizard, select_id(wizard, 3), ["DE"])
    assert "Step 4 of 7" in wizard["content"]
    await s.click("Rosa", wizard, "Adopt the defaults")
    assert "Step 5 of 7" in wizard["content"]
    await s.choose("Rosa", wizard, select_id(wizard, 3), ["server"])
    alerts = add_private_channel(s, "facilitators")  # alerts name a member who may be in danger: never public
    await s.choose("Rosa", wizard, select_id(wizard, 8), [str(alerts)])
    assert "Step 6 of 7" in wizard["content"]
    await s.choose("Rosa", wizard, select_id(wizard, 8), [str(s.channel_id("general"))])
    assert "Step 7 of 7" in wizard["content"]
    await s.choose("Rosa", wizard, select_id(wizard, 3), ["5"])
    assert "All set" in wizard["content"] and "Ready." in wizard["content"]

    assert s.bot is not None
    gid = s.guild_id
    config = await s.bot.store.guilds.get(gid)
    assert (config.facilitator_role_id, config.timezone, config.default_turn_seconds) == (
        FACILITATORS,
        "Europe/Berlin",
        300,
    )
    crisis = await s.bot.store.crisis.settings(gid)
    assert (crisis.region, crisis.scope, crisis.alert_channel_id) == ("DE", "server", alerts)
    assert (await s.bot.store.guidelines.settings(gid)).mod_log_channel_id == s.channel_id("general")
    rules = await s.bot.store.guidelines.rules(gid)
    assert rules is not None and rules.version == 1


async def test_skipping_every_step_saves_nothing(discord_standin: StandIn) -> None:
    s = discord_standin
    assert s.bot is not None
    await s.slash("Rosa", "setup")
    wizard = s.last_reply("Rosa")
    for _ in range(7):
        await s.click("Rosa", wizard, "Skip")
    assert "All set" in wizard["content"]
    for table in ("guild_config", "crisis_settings", "guideline_rules"):
        assert await s.bot.db.fetchall(f"SELECT * FROM {table}") == [], table


async def test_another_timezone_by_name_and_a_wrong_one(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "setup")
    wizard = s.last_reply("Rosa")
    await s.click("Rosa", wizard, "Skip")
    await s.click("Rosa", wizard, "Another timezone…")
    await s.submit_modal("Rosa", "setup:timezone", {"setup:zone": "Mars/Olympus"}, message=wizard)
    assert "don't know the timezone" in s.last_reply("Rosa")["content"]
    await s.click("Rosa", wizard, "Another timezone…")
    await s.submit_modal("Rosa", "setup:timezone", {"setup:zone": "America/Toronto"}, message=wizard)
    assert s.bot is not None
    assert (await s.bot.store.guilds.get(s.guild_id)).timezone == "America/Toronto"


async def test_a_member_cannot_run_setup(discord_standin: StandIn) -> None:
    s = discord_standin
    mark = s.mark()
    await s.slash("Ken", "setup")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL and "Only server admins" in reply["content"]
    assert [c for c in s.since(mark) if not c.path.startswith(("/interactions/", "/webhooks/"))] == []


async def test_readiness_names_exactly_what_a_channel_denies(discord_standin: StandIn) -> None:
    s = discord_standin
    assert s.bot is not None
    guild = s.bot.get_guild(s.guild_id)
    assert guild is not None
    from bot.permissions import readiness

    assert readiness(guild, 1).startswith("✅")
    voice = s.channel(s.channel_id("Circle Voice"))
    bot_id = s.bot_user["id"]
    voice["permission_overwrites"] = [{"id": bot_id, "type": 1, "allow": "0", "deny": str((1 << 22) | (1 << 14))}]
    await s.feed("CHANNEL_UPDATE", {**voice, "guild_id": s.guild["id"]})
    report = readiness(guild, 1)
    assert f"<#{s.channel_id('Circle Voice')}> is missing" in report
    assert "**Mute Members**" in report and "**Embed Links**" in report
    assert "**Manage Roles**" not in report and "Server-wide" not in report
    assert "circle-room" not in report and str(s.channel_id("circle-room")) not in report


# /help --------------------------------------------------------------------------------------------------------


def listed(content: str) -> set[str]:
    return {part.split("`")[0] for part in content.split("`/")[1:]}


async def test_help_shows_each_person_their_own_commands(discord_standin: StandIn) -> None:
    s = discord_standin
    _add_role(s, FACILITATORS, "Facilitators")
    await s.slash("Rosa", "config facilitator-role", role=role_option(FACILITATORS))
    s.member(s.user_id("Mia"))["roles"] = [str(FACILITATORS)]
    entries = [e for group in HELP.values() for e in group]
    member_only = {e.command for e in entries if e.who == Standing.MEMBER}
    facilitator = member_only | {e.command for e in entries if e.who == Standing.FACILITATOR}
    everything = {e.command for e in entries}

    await s.slash("Ken", "help")
    assert s.last_reply("Ken")["flags"] & EPHEMERAL
    assert listed(s.last_reply("Ken")["content"]) == member_only
    await s.slash("Mia", "help")
    assert listed(s.last_reply("Mia")["content"]) == facilitator
    await s.slash("Rosa", "help")
    assert listed(s.last_reply("Rosa")["content"]) == everything

    reply = s.last_reply("Ken")
    await s.choose("Ken", reply, select_id(reply, 3), ["circles"])
    assert "`/circle pass`:" in reply["content"] and "/circle open" not in reply["content"]


async def test_every_registered_command_has_help(discord_standin: StandIn) -> None:
    s = discord_standin
    assert s.bot is not None
    registered = {c.qualified_name for c in s.bot.tree.walk_commands() if not hasattr(c, "walk_commands")}
    documented = [e.command for entries in HELP.values() for e in entries]
    assert len(documented) == len(set(documented))
    assert registered == set(documented)


async def test_config_show_has_every_feature_and_what_is_missing(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config show")
    shown = s.last_reply("Rosa")["content"]
    for heading in ("**Circles**", "**Prompts**", "**Guidelines**", "**Crisis care**", "**Still to do**"):
        assert heading in shown
    assert "`/config mod-log`" in shown and "`/config region`" in shown
    await s.slash("Rosa", "config region", country="NZ")
    await s.slash("Rosa", "config show")
    shown = s.last_reply("Rosa")["content"]
    assert "Help lines: New Zealand" in shown and "`/config region`" not in shown
    await s.slash("Ken", "config show")
    assert "Only server admins" in s.last_reply("Ken")["content"]


async def test_a_country_beyond_the_menu_can_be_typed(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "setup")
    wizard = s.last_reply("Rosa")
    await s.click("Rosa", wizard, "Skip")
    await s.click("Rosa", wizard, "Skip")
    await s.click("Rosa", wizard, "Another country…")
    await s.submit_modal("Rosa", "setup:region", {"setup:country": "Atlantis"}, message=wizard)
    assert "don't have checked help lines" in s.last_reply("Rosa")["content"]
    assert s.bot is not None
    last = s.bot.resources.countries()[-1]  # the 26th country is not in the 25-option menu
    await s.click("Rosa", wizard, "Another country…")
    await s.submit_modal("Rosa", "setup:region", {"setup:country": last[1]}, message=wizard)
    assert (await s.bot.store.crisis.settings(s.guild_id)).region == last[0]
    assert "Step 4 of 7" in wizard["content"]
