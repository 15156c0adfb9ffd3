"""One settings door: `/setup` and `/config` reach the same validated setter, so each refuses what the other refuses.

The wizard used to store what `/config` refuses (an alert channel everyone can see, a mod log the bot can't post
in) and to save the agreements past the mod log. These stories drive both doors through the stand-in, with the same
value, and compare the words and what is stored. The setters are also called with values their options never offer
(a crafted payload, a stale registration): out of range is refused kindly and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.refusal import Refusal
from bot.testing import EPHEMERAL, StandIn, channel_option, role_option
from tests.test_config_e2e import _add_role
from tests.test_crisis_e2e import add_private_channel, slash_with_channel
from tests.test_onboarding import select_id

STEP = {"role": 0, "timezone": 1, "region": 2, "rules": 3, "crisis": 4, "modlog": 5, "turn": 6}
ROLE_SELECT, STRING_SELECT, CHANNEL_SELECT = 6, 3, 8


async def wizard_at(s: StandIn, step: str) -> dict[str, Any]:
    """Rosa's `/setup`, skipped forward to `step`."""
    await s.slash("Rosa", "setup")
    wizard = s.last_reply("Rosa")
    for _ in range(STEP[step]):
        await s.click("Rosa", wizard, "Skip")
    assert f"Step {STEP[step] + 1} of 7" in wizard["content"]
    return wizard


def refusal(s: StandIn) -> str:
    """The last private answer to Rosa, checked to be a kind refusal (no reference code: nothing unexpected)."""
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL
    assert "reference" not in reply["content"], reply["content"]
    return str(reply["content"])


async def rows(s: StandIn, table: str) -> list[Any]:
    assert s.bot is not None
    return list(await s.bot.db.fetchall(f"SELECT * FROM {table}"))


def deny_bot_embeds(s: StandIn, channel: str) -> None:
    room = s.channel(s.channel_id(channel))
    room["permission_overwrites"] = [{"id": s.bot_user["id"], "type": 1, "allow": "0", "deny": str(1 << 14)}]
    s.feed_now("CHANNEL_UPDATE", {**room, "guild_id": s.guild["id"]})


# The two doors, same value, same words ----------------------------------------------------------------------


async def test_setup_refuses_an_alert_channel_everyone_can_see_with_the_words_of_config(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    general = s.channel_id("general")
    await slash_with_channel(s, "Rosa", "config crisis-alerts", general)
    from_config = refusal(s)
    assert "Everyone can see" in from_config

    wizard = await wizard_at(s, "crisis")
    await s.choose("Rosa", wizard, select_id(wizard, CHANNEL_SELECT), [str(general)])
    assert refusal(s) == from_config
    assert "Step 5 of 7" in wizard["content"]  # the step stays open for another pick
    assert await rows(s, "crisis_settings") == []
    assert s.bot_messages("general") == []


async def test_setup_refuses_a_mod_log_the_bot_cannot_post_in_with_the_words_of_config(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    deny_bot_embeds(s, "general")
    general = s.channel_id("general")
    data = s.slash_payload(s.user_id("Rosa"), "config mod-log", None, channel=channel_option(general))
    await s.feed("INTERACTION_CREATE", data)
    from_config = refusal(s)
    assert "**Embed Links**" in from_config and "Nothing was changed" in from_config

    wizard = await wizard_at(s, "modlog")
    await s.choose("Rosa", wizard, select_id(wizard, CHANNEL_SELECT), [str(general)])
    assert refusal(s) == from_config
    assert "Step 6 of 7" in wizard["content"]
    assert await rows(s, "moderation_settings") == []


async def test_setup_stores_a_private_alert_channel_and_says_what_config_says(discord_standin: StandIn) -> None:
    s = discord_standin
    first = add_private_channel(s, "facilitators")
    await slash_with_channel(s, "Rosa", "config crisis-alerts", first)
    from_config = s.last_reply("Rosa")["content"]
    await s.slash("Rosa", "config crisis-alerts")  # alerts off again
    assert s.bot is not None
    assert (await s.bot.store.crisis.settings(s.guild_id)).alert_channel_id is None

    wizard = await wizard_at(s, "crisis")
    await s.choose("Rosa", wizard, select_id(wizard, CHANNEL_SELECT), [str(first)])
    assert wizard["content"].startswith(f"✅ {from_config}\n\n**Step 6 of 7")
    assert (await s.bot.store.crisis.settings(s.guild_id)).alert_channel_id == first


async def test_setup_adopting_the_agreements_opens_a_mod_log_case_like_rules_edit(discord_standin: StandIn) -> None:
    s = discord_standin
    mod_log = add_private_channel(s, "mod-log")
    await slash_with_channel(s, "Rosa", "config mod-log", mod_log)
    posted = len(s.bot_messages(mod_log))

    wizard = await wizard_at(s, "rules")
    await s.click("Rosa", wizard, "Adopt the defaults")
    assert "Step 5 of 7" in wizard["content"]
    [case] = [m["embeds"][0] for m in s.bot_messages(mod_log)[posted:]]
    assert case["title"] == "Case 1 · Agreements edited"
    assert await rows(s, "mod_cases") != []
    assert s.bot is not None
    case_row = await s.bot.db.fetchone("SELECT kind, actor_user_id FROM mod_cases")
    assert case_row is not None and tuple(case_row) == ("rules", s.user_id("Rosa"))


async def test_setup_writing_the_agreements_refuses_an_empty_list_and_logs_what_it_saves(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    mod_log = add_private_channel(s, "mod-log")
    await slash_with_channel(s, "Rosa", "config mod-log", mod_log)
    wizard = await wizard_at(s, "rules")
    await s.click("Rosa", wizard, "Write my own…")
    await s.submit_modal("Rosa", "setup:rules", {"setup:rules-text": "  \n \n"}, message=wizard)
    assert "The list is empty" in refusal(s)
    assert await rows(s, "guideline_rules") == []

    await s.click("Rosa", wizard, "Write my own…")
    await s.submit_modal("Rosa", "setup:rules", {"setup:rules-text": "1. Be kind.\n2. Listen."}, message=wizard)
    assert "Step 5 of 7" in wizard["content"]
    assert [m["embeds"][0]["title"] for m in s.bot_messages(mod_log) if m["embeds"]] == ["Case 1 · Agreements edited"]


# Values no option offers: refused kindly, nothing stored, whichever door ---------------------------------------


@pytest.mark.parametrize("minutes", [0, 0.25, 21, 999])
async def test_config_turn_minutes_out_of_range_is_refused_and_stores_nothing(
    discord_standin: StandIn, minutes: float
) -> None:
    s = discord_standin
    await s.slash("Rosa", "config turn-minutes", minutes=minutes)
    assert "0.5" in refusal(s) and "20" in refusal(s)
    assert await rows(s, "guild_config") == []


async def test_setup_turn_length_no_option_offers_is_refused_with_the_words_of_config(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await s.slash("Rosa", "config turn-minutes", minutes=999)
    from_config = refusal(s)
    wizard = await wizard_at(s, "turn")
    await s.choose("Rosa", wizard, select_id(wizard, STRING_SELECT), ["999"])
    assert refusal(s) == from_config
    assert "Step 7 of 7" in wizard["content"]
    assert await rows(s, "guild_config") == []


@pytest.mark.parametrize("days", [0, -3, 366])
async def test_config_warn_expiry_out_of_range_is_refused_and_stores_nothing(
    discord_standin: StandIn, days: int
) -> None:
    s = discord_standin
    await s.slash("Rosa", "config warn-expiry", days=days)
    assert "365" in refusal(s)
    assert await rows(s, "moderation_settings") == []


async def test_config_appeal_longer_than_its_option_allows_is_refused(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config appeal", text="a" * 501)
    assert "500" in refusal(s)
    await s.slash("Rosa", "config appeal", text="   ")
    refusal(s)
    assert await rows(s, "moderation_settings") == []


async def test_everyone_as_the_facilitator_role_is_refused_by_both_doors(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config facilitator-role", role=role_option(s.guild_id))
    from_config = refusal(s)
    assert "@everyone can't be the facilitator role" in from_config
    wizard = await wizard_at(s, "role")
    await s.choose("Rosa", wizard, select_id(wizard, ROLE_SELECT), [str(s.guild_id)])
    assert refusal(s) == from_config
    assert await rows(s, "guild_config") == []


async def test_an_unknown_crisis_scope_is_refused_by_both_doors(discord_standin: StandIn) -> None:
    s = discord_standin
    # /config's option has choices, so discord.py itself turns a value outside them away, kindly.
    await s.slash("Rosa", "config crisis-scope", scope="everywhere")
    assert "everywhere" in refusal(s)
    wizard = await wizard_at(s, "crisis")
    await s.choose("Rosa", wizard, select_id(wizard, STRING_SELECT), ["everywhere"])
    assert "circle channels, in the whole server, or nowhere" in refusal(s)
    assert "Step 5 of 7" in wizard["content"]
    assert await rows(s, "crisis_settings") == []


async def test_the_timezone_and_region_refusals_are_the_same_from_both_doors(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config timezone", tz="Mars/Olympus")
    zone_from_config = refusal(s)
    await s.slash("Rosa", "config region", country="Atlantis")
    region_from_config = refusal(s)
    wizard = await wizard_at(s, "timezone")
    await s.click("Rosa", wizard, "Another timezone…")
    await s.submit_modal("Rosa", "setup:timezone", {"setup:zone": "Mars/Olympus"}, message=wizard)
    assert refusal(s) == zone_from_config
    await s.click("Rosa", wizard, "Skip")
    await s.click("Rosa", wizard, "Another country…")
    await s.submit_modal("Rosa", "setup:region", {"setup:country": "Atlantis"}, message=wizard)
    assert refusal(s) == region_from_config
    assert await rows(s, "guild_config") == [] and await rows(s, "crisis_settings") == []


# The setters themselves, as the other features reach them ----------------------------------------------------


async def test_the_setters_refuse_out_of_range_values_when_called_directly(discord_standin: StandIn) -> None:
    s = discord_standin
    assert s.bot is not None
    guild = s.bot.get_guild(s.guild_id)
    assert guild is not None
    features = s.bot.features
    refused = [
        features.server_settings.set_turn_minutes(guild, 0),
        features.server_settings.set_turn_minutes(guild, float("nan")),
        features.server_settings.set_facilitator_role(guild, guild.id),
        features.server_settings.set_timezone(guild, "Mars/Olympus"),
        features.guideline_settings.set_warn_expiry(guild, 0),
        features.guideline_settings.set_appeal(guild, "x" * 501),
        features.guideline_settings.set_ladder(guild, "2=30d"),
        features.guideline_settings.set_mod_log(guild, 42),
        features.crisis_settings.set_scope(guild, "everywhere"),
        features.crisis_settings.set_alerts(guild, s.channel_id("general")),
        features.crisis_settings.set_region(guild, "Atlantis"),
    ]
    keys = []
    for attempt in refused:
        with pytest.raises(Refusal) as error:
            await attempt
        keys.append(error.value.key)
        assert error.value.message and "Refusal" not in error.value.message
    assert keys == [
        "settings.turn_minutes_range",
        "settings.turn_minutes_range",
        "settings.role_everyone",
        "settings.timezone_unknown",
        "warn.expiry_range",
        "warn.appeal_too_long",
        "ladder.timeout_too_long",
        "modlog.channel_unseen",
        "crisis.scope_unknown",
        "crisis.alerts_public",
        "crisis.region_unknown",
    ]
    for table in ("guild_config", "moderation_settings", "crisis_settings"):
        assert await rows(s, table) == [], table


async def test_the_setters_answer_with_the_sentence_config_shows(discord_standin: StandIn) -> None:
    s = discord_standin
    assert s.bot is not None
    guild = s.bot.get_guild(s.guild_id)
    assert guild is not None
    _add_role(s, 777, "Facilitators")
    said = await s.bot.features.server_settings.set_facilitator_role(guild, 777)
    await s.slash("Rosa", "config facilitator-role", role=role_option(777))
    assert s.last_reply("Rosa")["content"] == said
    said = await s.bot.features.server_settings.set_turn_minutes(guild, 2.5)
    await s.slash("Rosa", "config turn-minutes", minutes=2.5)
    assert s.last_reply("Rosa")["content"] == said == "Done. Turns now last 2.5 minutes unless a circle says otherwise."


def test_every_crisis_scope_has_its_words_in_both_doors() -> None:
    from bot.features import CRISIS_SCOPES
    from cogs.admin.config import SCOPE_WORDS
    from cogs.crisis.settings import SCOPE_DONE
    from cogs.onboarding.wizard import SCOPE_LABELS

    for words in (SCOPE_WORDS, SCOPE_DONE, SCOPE_LABELS):
        assert set(words) == set(CRISIS_SCOPES)
