"""`/streak` (a member's own, privately) and the gentle acknowledgement of milestones when a circle ends."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.domain.circle import Status, Transition
from bot.domain.streaks import milestone_crossed
from bot.replies import QUIET, send_private
from cogs.streaks import texts
from cogs.streaks.service import member_streaks, sum_up, sum_up_pending

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

# Discord refuses DMs opened too quickly (error 40003) and publishes no figure: one every few seconds is safe.
DM_SPACING = timedelta(seconds=3)


class StreakCog(commands.Cog, name="Streaks"):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self._next_dm_at: datetime | None = None

    @app_commands.command(name="streak", description="See the circles you've come to and your streak (only you see it)")
    @app_commands.guild_only()
    async def streak(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        db = self.bot.store
        config = await db.guilds.get(interaction.guild_id)
        found = await member_streaks(
            db, interaction.guild_id, interaction.user.id, tz=config.timezone, now=self.bot.clock.now()
        )
        prefs = await db.members.get(interaction.guild_id, interaction.user.id)
        await send_private(
            interaction, texts.streak(found.summary, tracking=prefs.tracking, series_name=found.series_name)
        )

    # Milestones ---------------------------------------------------------------------------------------------

    @commands.Cog.listener("on_circle_changed")
    async def on_circle_changed(self, circle_id: int, tr: Transition) -> None:
        """Dispatched by the circles shell after every step, once Discord has been put right."""
        if tr.state.status != Status.ENDED:
            return
        await self.acknowledge_milestones(circle_id)

    async def acknowledge_milestones(self, circle_id: int) -> None:
        """Sum up who came, then acknowledge each milestone they reached: privately, or in the channel by choice.

        A milestone is acknowledged once (the highest reached is stored), so one missed here (a circle that ended
        while the bot was down) is acknowledged at the member's next circle instead.
        """
        db = self.bot.store
        row = await db.circles.get(circle_id)
        if row is None or row.status != "ended":
            return
        came = await sum_up(db, circle_id)
        await sum_up_pending(db, row.guild_id)  # any that ended while the bot was down count too
        public: list[tuple[int, int]] = []
        private: list[tuple[int, int]] = []
        for user_id in came:
            prefs = await db.members.get(row.guild_id, user_id)
            if not prefs.tracking:
                continue
            milestone = milestone_crossed(prefs.milestone, await db.attendance.attended_count(row.guild_id, user_id))
            if milestone is not None:
                (public if prefs.celebrate else private).append((user_id, milestone))
        if public and not await self._celebrate(row.guild_id, row.channel_id, public):
            private.extend(public)
        for user_id, milestone in private:
            self._queue_dm(row.guild_id, user_id, milestone)

    async def _celebrate(self, guild_id: int, channel_id: int, reached: list[tuple[int, int]]) -> bool:
        """One message in the circle's channel, a line per member; False if it could not be posted."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            return False
        try:
            # The mention shows who, without a ping.
            await channel.send("\n".join(texts.milestone_public(u, m) for u, m in reached), allowed_mentions=QUIET)
        except discord.HTTPException as exc:
            log.info("milestone acknowledgement not posted in %s (%s)", channel_id, exc.status)
            return False
        now = self.bot.clock.now()
        for user_id, milestone in reached:
            await self.bot.store.members.acknowledge(guild_id, user_id, milestone, now)
        return True

    def _queue_dm(self, guild_id: int, user_id: int, milestone: int) -> None:
        """Send the private note a few seconds after the previous one, so a big circle's notes are spaced out."""
        now = self.bot.clock.now()
        at = now if self._next_dm_at is None or self._next_dm_at < now else self._next_dm_at
        self._next_dm_at = at + DM_SPACING
        self.bot.scheduler.schedule(
            f"milestone:{guild_id}:{user_id}", at, self.send_milestone_dm, guild_id, user_id, milestone
        )

    async def send_milestone_dm(self, guild_id: int, user_id: int, milestone: int) -> None:
        db = self.bot.store
        prefs = await db.members.get(guild_id, user_id)
        if not prefs.tracking:
            return
        # Recorded first, even if the DM cannot be delivered: with DMs closed the note is simply not sent.
        if not await db.members.acknowledge(guild_id, user_id, milestone, self.bot.clock.now()):
            return
        guild = self.bot.get_guild(guild_id)
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(
                texts.milestone_dm(milestone, guild.name if guild else "your server"), allowed_mentions=QUIET
            )
        except discord.Forbidden:
            log.debug("milestone note not sent: DMs closed")
        except discord.HTTPException as exc:
            log.info("milestone note not sent (%s)", exc.status)
