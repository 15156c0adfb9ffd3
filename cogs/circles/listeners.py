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
        self._restored: set[int] = set()

    def _shard_of(self, guild_id: int) -> int:
        return (guild_id >> 22) % (self.bot.shard_count or 1)

    async def restore_shard(self, shard_id: int) -> None:
        """Restore the circles and series of one shard's servers, once per process, when that shard is ready.

        A shard that connects late restores its own servers then; nothing before needs their guilds cached.
        """
        if shard_id in self._restored:
            return
        self._restored.add(shard_id)
        mine = lambda guild_id: self._shard_of(guild_id) == shard_id  # noqa: E731
        await self.shell.restore_all(mine)
        await self.series.restore_all(mine)

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        await self.restore_shard(shard_id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Every shard is ready; restore any whose shard_ready this cog did not see (it fires again after reconnects,
        # and restoring once per shard per process is enough).
        for shard_id in self.bot.shard_ids or range(self.bot.shard_count or 1):
            await self.restore_shard(shard_id)

    @commands.Cog.listener()
    async def on_circle_changed(self, circle_id: int, tr: Transition) -> None:
        """Dispatched by `CircleShell.change` after every step, once Discord has been put right."""
        await self.events.on_circle_changed(circle_id, tr)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A circle's channel was deleted: the circle ends, or it would run on timers that nobody could stop.

        Its mutes become owed unmutes, made when each member is next seen in voice; its overwrites went with the
        channel.
        """
        await self.shell.channel_deleted(channel.id)

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot or before.channel == after.channel:
            return  # a mute or suppress change (often the bot's own): nothing moved
        await self.shell.someone_moved(member, before.channel, after.channel)
