"""The circles' gateway listeners: restore at start-up, voice moves, and a session's Event after each step."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.domain.circle import Transition
from cogs.circles.events import SeriesEvents
from cogs.circles.series import SeriesService
from cogs.circles.shell import CircleShell

if TYPE_CHECKING:
    from bot.app import CircleBot


class CircleListeners(commands.Cog, name="Circle listeners"):
    def __init__(self, bot: CircleBot, shell: CircleShell, series: SeriesService, events: SeriesEvents) -> None:
        self.bot = bot
        self.shell = shell
        self.series = series
        self.events = events
        self._restored = False

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # on_ready fires again after reconnects; restoring once per process is enough.
        if not self._restored:
            self._restored = True
            await self.shell.restore_all()
            await self.series.restore_all()

    @commands.Cog.listener()
    async def on_circle_changed(self, circle_id: int, tr: Transition) -> None:
        """Dispatched by `CircleShell.change` after every step, once Discord has been put right."""
        await self.events.on_circle_changed(circle_id, tr)

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot or before.channel == after.channel:
            return  # a mute or suppress change (often the bot's own): nothing moved
        await self.shell.someone_moved(member, before.channel, after.channel)
