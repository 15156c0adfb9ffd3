"""The check-in's buttons and the alert's button, as `DynamicItem`s that keep working after a restart.

A check-in is a DM, and buttons pressed in a DM carry no server: the server's id (and the tier the check-in was
sent for) travel in the custom id, `crisis:talk:<guild_id>:<tier>`. The alert lives in the server, so its button
needs nothing but its name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot import access
from bot.errors import UserFacingError
from bot.replies import guard
from cogs.crisis import texts

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.features import CrisisFeature

CHECK_IN_ACTIONS = {
    "talk": (texts.TALK_LABEL, discord.ButtonStyle.primary),
    "more": (texts.MORE_LABEL, discord.ButtonStyle.secondary),
    "okay": (texts.OKAY_LABEL, discord.ButtonStyle.success),
}


def _care(interaction: discord.Interaction) -> CrisisFeature:
    bot: CircleBot = interaction.client  # type: ignore[assignment]
    return bot.features.crisis


async def _refuse(text: str) -> None:
    raise UserFacingError(text)


class CheckInButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"crisis:(?P<action>talk|more|okay):(?P<guild_id>[0-9]{1,20}):(?P<tier>[0-3])",
):
    def __init__(self, action: str, guild_id: int, tier: int, *, done: bool = False) -> None:
        label, style = CHECK_IN_ACTIONS[action]
        if done:
            label, style = texts.TALK_DONE_LABEL, discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"crisis:{action}:{guild_id}:{tier}", disabled=done)
        )
        self.action = action
        self.guild_id = guild_id
        self.tier = tier

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CheckInButton:
        return cls(match["action"], int(match["guild_id"]), int(match["tier"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        care = _care(interaction)
        if not access.valid_id(self.guild_id):  # a custom id the bot never made
            await guard(interaction, _refuse(texts.SERVER_GONE))
            return
        if self.action == "talk":
            await guard(interaction, care.talk(interaction, self.guild_id, self.tier))
        elif self.action == "more":
            await guard(interaction, care.more(interaction, self.guild_id))
        else:
            await guard(interaction, care.okay(interaction, self.guild_id, self.tier))


class ReachOutButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"crisis:reach"):
    def __init__(self, *, taken_by: str | None = None) -> None:
        label = texts.REACH_LABEL if taken_by is None else f"{taken_by} is reaching out"[:80]
        style = discord.ButtonStyle.primary if taken_by is None else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id="crisis:reach", disabled=taken_by is not None)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReachOutButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await guard(interaction, _care(interaction).reach(interaction))


def check_in_view(guild_id: int, tier: int, *, talk_done: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CheckInButton("talk", guild_id, tier, done=talk_done))
    view.add_item(CheckInButton("more", guild_id, tier))
    view.add_item(CheckInButton("okay", guild_id, tier))
    return view


def reach_view(*, taken_by: str | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReachOutButton(taken_by=taken_by))
    return view
