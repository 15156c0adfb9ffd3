"""`/circle ...`: members and facilitators share this group, so it stays visible and checks each call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.domain import circle as rules
from bot.domain.circle import CircleFormat, CircleSettings, Enforcement
from bot.errors import UserFacingError
from bot.replies import send_private
from cogs.circles import texts
from cogs.circles.service import CircleService

if TYPE_CHECKING:
    from bot.app import CircleBot

CircleChannel = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel


@app_commands.guild_only()
class CircleCog(commands.GroupCog, name="Circles", group_name="circle", group_description="Talking-stick circles"):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self.service = CircleService(bot)
        self._restored = False
        super().__init__()

    # Facilitators -------------------------------------------------------------------------------------------

    @app_commands.command(name="open", description="Open a circle in this channel (or another) and post its card")
    @app_commands.describe(
        channel="Where the circle meets (default: here)",
        format="talking-stick (one speaker at a time) or empathy (speaker and active listener)",
        turn_minutes="How long each turn lasts, from 0.5 to 20 minutes (default: the server's setting)",
        rounds="How many rounds, from 1 to 5 (default 1)",
        enforcement="strict: only the holder can post; gentle: a quiet reminder instead",
    )
    async def open_(
        self,
        interaction: discord.Interaction,
        channel: CircleChannel | None = None,
        format: Literal["talking-stick", "empathy"] = "talking-stick",
        turn_minutes: app_commands.Range[float, 0.5, 20.0] | None = None,
        rounds: app_commands.Range[int, 1, 5] = 1,
        enforcement: Literal["strict", "gentle"] = "strict",
    ) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        if format == CircleFormat.EMPATHY.value:
            raise UserFacingError(texts.EMPATHY_LATER)
        chosen = channel or interaction.channel
        target = self.bot.get_channel(chosen.id) if chosen is not None else None
        if target is None or not hasattr(target, "guild"):
            raise UserFacingError(texts.NOT_A_CIRCLE_CHANNEL)
        assert interaction.guild_id is not None
        config = await self.bot.db.guilds.get(interaction.guild_id)
        seconds = round(turn_minutes * 60) if turn_minutes is not None else config.default_turn_seconds
        settings = CircleSettings(
            format=CircleFormat(format),
            turn_seconds=seconds,
            rounds=rounds,
            enforcement=Enforcement(enforcement),
            warning_seconds=min(self.bot.settings.warning_seconds, max(seconds // 3, 0)),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.service.open(interaction, target, settings)
        await send_private(interaction, texts.OPENED.format(channel=f"<#{target.id}>"))

    @app_commands.command(name="start", description="Begin the first round with those who joined")
    async def start(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        await self.service.start(interaction, loaded)

    @app_commands.command(name="pause", description="Pause the circle: the clock freezes and holds the time left")
    async def pause(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        await self.service.change(loaded, rules.pause, interaction=interaction, reply=texts.PAUSED_REPLY)

    @app_commands.command(name="resume", description="Resume a paused circle")
    async def resume(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        await self.service.change(loaded, rules.resume, interaction=interaction, reply=texts.RESUMED_REPLY)

    @app_commands.command(name="skip", description="Move the stick to the next person")
    async def skip(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        await self.service.change(loaded, rules.skip, interaction=interaction, reply=texts.SKIPPED_REPLY)

    @app_commands.command(name="extend", description="Give the current turn more time")
    @app_commands.describe(minutes="How many minutes to add, from 1 to 10")
    async def extend(self, interaction: discord.Interaction, minutes: app_commands.Range[int, 1, 10]) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        seconds = minutes * 60
        await self.service.change(
            loaded,
            lambda s, t: rules.extend(s, seconds, t),
            interaction=interaction,
            reply=f"Added {texts.minutes(seconds)} to this turn.",
        )

    @app_commands.command(name="end", description="End the circle and put the channel back as it was")
    async def end(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        await self.service.change(loaded, rules.end, interaction=interaction, reply=texts.ENDED_REPLY)

    # Members ------------------------------------------------------------------------------------------------

    @app_commands.command(name="join", description="Join this channel's circle")
    async def join(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        await self.service.join(interaction, loaded)

    @app_commands.command(name="leave", description="Leave this channel's circle")
    async def leave(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        user = interaction.user.id
        await self.service.change(
            loaded, lambda s, t: rules.leave(s, user, t), interaction=interaction, reply=texts.LEFT
        )

    @app_commands.command(name="pass", description="Done sharing, or pass your coming turn: no reason needed")
    async def pass_(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        await self.service.pass_turn(interaction, loaded)

    @app_commands.command(name="status", description="Where the circle is: round, holder, time left, who is next")
    async def status(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.service.active_in(interaction.channel_id or 0)
        state = rules.advance(loaded.state, self.bot.clock.now()).state
        left = rules.time_left(state, self.bot.clock.now())
        text = texts.status_lines(
            settings=state.settings,
            status=state.status.value,
            round_=state.round,
            holder=state.holder,
            time_left_seconds=int(left.total_seconds()) if left is not None else None,
            ends_at=state.deadline,
            upcoming=list(rules.upcoming(state)),
            passing=set(state.passing),
            participants=len(state.participants),
        )
        await send_private(interaction, text)

    # Gateway ------------------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # on_ready fires again after reconnects; restoring once per process is enough.
        if not self._restored:
            self._restored = True
            await self.service.restore_all()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.channel.id in self.service.active_by_channel:
            await self.service.remind_gently(message)
