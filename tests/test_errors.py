"""The one error handler: expected failures in plain words, everything else with a reference code."""

from __future__ import annotations

import re

import discord
import pytest
from discord import app_commands

from bot.domain.refusal import Refusal
from bot.errors import UserFacingError
from bot.testing import EPHEMERAL, StandIn


def _install(standin: StandIn) -> None:
    assert standin.bot is not None
    tree = standin.bot.tree

    @tree.command(name="kind-failure")
    async def kind_failure(interaction: discord.Interaction, deferred: bool = False) -> None:
        if deferred:
            await interaction.response.defer(ephemeral=True, thinking=True)
        raise UserFacingError("That circle has already ended.")

    @tree.command(name="broken")
    async def broken(interaction: discord.Interaction, deferred: bool = False) -> None:
        if deferred:
            await interaction.response.defer(ephemeral=True, thinking=True)
        raise RuntimeError("internal detail that must never be shown")

    assert isinstance(kind_failure, app_commands.Command) and isinstance(broken, app_commands.Command)


@pytest.mark.parametrize("deferred", [False, True])
async def test_user_facing_error_is_answered_privately_with_its_text(discord_standin: StandIn, deferred: bool) -> None:
    s = discord_standin
    _install(s)
    mark = s.mark()
    await s.slash("Ken", "kind-failure", deferred=deferred)
    calls = s.since(mark)
    if deferred:
        assert [c.json["type"] for c in calls[:1]] == [5]
        assert calls[1].path == "/webhooks/{webhook_id}/{webhook_token}"
        assert calls[1].json["flags"] & EPHEMERAL
        assert calls[1].json["content"] == "That circle has already ended."
    else:
        assert len(calls) == 1 and calls[0].json["data"]["flags"] & EPHEMERAL
        assert calls[0].json["data"]["content"] == "That circle has already ended."
    assert s.errors == []


@pytest.mark.parametrize("deferred", [False, True])
async def test_unexpected_error_is_logged_with_a_code_the_member_also_sees(
    discord_standin: StandIn, deferred: bool
) -> None:
    s = discord_standin
    _install(s)
    mark = s.mark()
    await s.slash("Ken", "broken", deferred=deferred)
    assert len(s.errors) == 1
    logged = s.errors[0][1]
    code = re.search(r"reference ([A-Z2-9]{6})", logged)
    assert code is not None and "RuntimeError" in logged
    answer = s.since(mark)[-1].json
    content = answer.get("content") or answer["data"]["content"]
    flags = answer.get("flags") or answer["data"]["flags"]
    assert code.group(1) in content and flags & EPHEMERAL
    assert "internal detail" not in content and "Traceback" not in content
    s.errors.clear()  # this test expects exactly that one logged error


async def test_a_domain_refusal_is_answered_privately_with_its_words_and_logs_nothing(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    assert s.bot is not None

    @s.bot.tree.command(name="refused")
    async def refused(interaction: discord.Interaction) -> None:
        raise Refusal("circle.holder_only", "Only the person holding the stick can do that.")

    assert isinstance(refused, app_commands.Command)
    mark = s.mark()
    await s.slash("Ken", "refused")
    calls = s.since(mark)
    assert len(calls) == 1 and calls[0].json["data"]["flags"] & EPHEMERAL
    assert calls[0].json["data"]["content"] == "Only the person holding the stick can do that."
    assert s.errors == []
