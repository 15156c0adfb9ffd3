"""`/config` through the real CommandTree, from raw INTERACTION_CREATE payloads to SQLite."""

from __future__ import annotations

from bot.testing import EPHEMERAL, StandIn, role_option


def _add_role(standin: StandIn, role_id: int, name: str) -> None:
    role = dict(standin.guild["roles"][0], id=str(role_id), name=name, position=1, permissions="0")
    standin.guild["roles"].append(role)
    standin.feed_now("GUILD_ROLE_CREATE", {"guild_id": standin.guild["id"], "role": role})


async def test_facilitator_role_is_stored_and_answered_privately(discord_standin: StandIn) -> None:
    s = discord_standin
    _add_role(s, 555, "Facilitators")
    mark = s.mark()
    await s.slash("Rosa", "config facilitator-role", role=role_option(555))
    calls = s.since(mark)
    assert [c.path for c in calls] == ["/interactions/{webhook_id}/{webhook_token}/callback"]
    assert calls[0].json["type"] == 4
    assert calls[0].json["data"]["flags"] & EPHEMERAL
    assert "can now hold circles" in calls[0].json["data"]["content"]
    assert s.bot is not None
    row = await s.bot.db.fetchone("SELECT facilitator_role_id FROM guild_config WHERE guild_id = ?", (s.guild_id,))
    assert row is not None and row[0] == 555


async def test_timezone_is_stored(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config timezone", tz="Europe/Berlin")
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL and "Europe/Berlin" in reply["content"]
    assert s.bot is not None
    row = await s.bot.db.fetchone("SELECT timezone FROM guild_config WHERE guild_id = ?", (s.guild_id,))
    assert row is not None and row[0] == "Europe/Berlin"


async def test_unknown_timezone_is_refused_kindly_and_nothing_changes(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config timezone", tz="Mars/Olympus")
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL and "don't know the timezone" in reply["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM guild_config") is None


async def test_member_without_manage_server_is_refused_and_nothing_changes(discord_standin: StandIn) -> None:
    s = discord_standin
    _add_role(s, 556, "Helpers")
    mark = s.mark()
    await s.slash("Ken", "config timezone", tz="Asia/Tokyo")
    await s.slash("Ken", "config facilitator-role", role=role_option(556))
    calls = s.since(mark)
    assert len(calls) == 2
    for call in calls:
        assert call.path.endswith("/callback")
        assert call.json["data"]["flags"] & EPHEMERAL
        assert "Only server admins" in call.json["data"]["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchone("SELECT 1 FROM guild_config") is None


async def test_timezone_autocomplete_offers_at_most_25_matching_zones(discord_standin: StandIn) -> None:
    s = discord_standin
    data = s.slash_payload(s.user_id("Rosa"), "config timezone", tz="berl")
    data["type"] = 4
    data["data"]["options"][0]["options"][0]["focused"] = True
    await s.feed("INTERACTION_CREATE", data)
    call = s.calls[-1]
    assert call.json["type"] == 8
    choices = [c["value"] for c in call.json["data"]["choices"]]
    assert "Europe/Berlin" in choices and len(choices) <= 25


async def test_config_show_lists_the_settings(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "config turn-minutes", minutes=2.5)
    await s.slash("Rosa", "config show")
    content = s.last_reply("Rosa")["content"]
    assert "2.5 minutes" in content and "Timezone: UTC" in content
