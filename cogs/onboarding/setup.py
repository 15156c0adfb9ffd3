"""Onboarding: one welcome when the bot joins a server, and `/setup`, a private step-by-step set-up for admins.

The steps live in `cogs/onboarding/wizard.py`; each saves through the same validated setter `/config` uses. The
wizard ends with a summary and a readiness check: per circle channel, which permissions the bot lacks there (in
words, with what each is for), and the invite link with the right permissions when some are missing server-wide.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.replies import QUIET, send_private
from cogs.onboarding.wizard import SetupWizard

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

WELCOME = (
    "🌿 Hello, I'm here to help this server hold **empathy circles**: small groups that meet to share, listen and "
    "be heard. I keep the talking stick so one person speaks at a time, offer a gentle prompt for each round, and "
    "quietly point anyone who seems to be struggling to real help.\n"
    "An admin can get everything ready in a few clicks with `/setup`. Anyone can see what they can do with `/help`."
)


class SetupCog(commands.Cog, name="Setup"):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot

    @app_commands.command(name="setup", description="Set up this server for circles, step by step (admins)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def setup_(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild is not None
        wizard = SetupWizard(self.bot, interaction.guild, interaction.user.id)
        await send_private(interaction, await wizard.render(), view=wizard)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """One short welcome, once per server ever: in the system channel, or the first channel it can post in."""
        if not await self.bot.store.onboarding.mark_welcomed(guild.id, self.bot.clock.now()):
            return
        channel = guild.system_channel
        if channel is None or not channel.permissions_for(guild.me).send_messages:
            channel = next(
                (
                    c
                    for c in sorted(guild.text_channels, key=lambda c: (c.position, c.id))
                    if c.permissions_for(guild.me).send_messages and c.permissions_for(guild.me).view_channel
                ),
                None,
            )
        if channel is None:
            log.info("joined server %s: no channel to welcome it in", guild.id)
            return
        try:
            await channel.send(WELCOME, allowed_mentions=QUIET)
        except discord.HTTPException as exc:
            log.info("joined server %s: the welcome was refused (%s)", guild.id, exc.status)
