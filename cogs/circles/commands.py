"""`/circle ...`: members and facilitators share this group, so it stays visible and checks each call.

Thin: each command checks who is asking, finds this channel's circle once (from the keeper's memory) and hands
it to the action (`cogs/circles/actions.py`); recurring circles are `cogs/circles/series.py`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.circle_keeper import Step
from bot.domain import circle
from bot.errors import UserFacingError
from bot.replies import send_private
from cogs.circles import texts
from cogs.circles.actions import CircleActions
from cogs.circles.series import SeriesService

if TYPE_CHECKING:
    from bot.app import CircleBot

CircleChannel = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel


@app_commands.guild_only()
class CircleCog(commands.GroupCog, name="Circles", group_name="circle", group_description="Talking-stick circles"):
    def __init__(self, bot: CircleBot, actions: CircleActions, series: SeriesService) -> None:
        self.bot = bot
        self.actions = actions
        self.series = series
        super().__init__()

    # Facilitators -------------------------------------------------------------------------------------------

    @app_commands.command(name="open", description="Open a circle in this channel (or another) and post its card")
    @app_commands.describe(
        channel="Where the circle meets (default: here)",
        format="talking-stick (one speaker at a time) or empathy (speaker and active listener)",
        turn_minutes="How long each turn lasts, from 0.5 to 20 minutes (default: the server's setting)",
        rounds="How many rounds, from 1 to 5 (default 1)",
        enforcement="strict: only the holder can post; gentle: a quiet reminder instead",
        deck="The prompt deck for every round (default: check-in first, closing last)",
    )
    async def open_(
        self,
        interaction: discord.Interaction,
        channel: CircleChannel | None = None,
        format: Literal["talking-stick", "empathy"] = "talking-stick",
        turn_minutes: app_commands.Range[float, 0.5, 20.0] | None = None,
        rounds: app_commands.Range[int, 1, 5] = 1,
        enforcement: Literal["strict", "gentle"] = "strict",
        deck: str | None = None,
    ) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        chosen = channel or interaction.channel
        target = self.bot.get_channel(chosen.id) if chosen is not None else None
        if target is None or not hasattr(target, "guild"):
            raise UserFacingError(texts.NOT_A_CIRCLE_CHANNEL)
        assert interaction.guild_id is not None
        settings = await self.actions.settings_for(
            interaction.guild_id,
            format=format,
            turn_minutes=turn_minutes,
            rounds=rounds,
            enforcement=enforcement,
            deck=self._deck_id(deck),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.actions.open(interaction, target, settings)
        await send_private(interaction, texts.OPENED.format(channel=f"<#{target.id}>"))

    async def _step(self, interaction: discord.Interaction, needed: Standing, step: Step, reply: str) -> None:
        """Check who is asking, find this channel's circle, take one step in it and answer privately."""
        await require(self.bot, interaction, needed)
        loaded = await self.actions.active_in(interaction.channel_id or 0, interaction.guild_id or 0)
        await self.actions.take(interaction, loaded.row.id, step, reply)

    def _deck_id(self, deck: str | None) -> str | None:
        return None if deck is None else str(self.bot.features.prompts.deck(deck).id)

    @app_commands.command(name="start", description="Begin the first round with those who joined")
    @app_commands.describe(
        from_hands="Stage only: also join the people who raised their hand, in the order they raised it",
    )
    async def start(self, interaction: discord.Interaction, from_hands: bool = False) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        loaded = await self.actions.active_in(interaction.channel_id or 0, interaction.guild_id or 0)
        await self.actions.start(interaction, loaded, from_hands=from_hands)

    @app_commands.command(name="pause", description="Pause the circle: the clock freezes and holds the time left")
    async def pause(self, interaction: discord.Interaction) -> None:
        await self._step(interaction, Standing.FACILITATOR, circle.pause, texts.PAUSED_REPLY)

    @app_commands.command(name="resume", description="Resume a paused circle")
    async def resume(self, interaction: discord.Interaction) -> None:
        await self._step(interaction, Standing.FACILITATOR, circle.resume, texts.RESUMED_REPLY)

    @app_commands.command(name="skip", description="Move the stick to the next person")
    async def skip(self, interaction: discord.Interaction) -> None:
        await self._step(interaction, Standing.FACILITATOR, circle.skip, texts.SKIPPED_REPLY)

    @app_commands.command(name="extend", description="Give the current turn more time")
    @app_commands.describe(minutes="How many minutes to add, from 1 to 10")
    async def extend(self, interaction: discord.Interaction, minutes: app_commands.Range[int, 1, 10]) -> None:
        seconds = minutes * 60
        await self._step(
            interaction,
            Standing.FACILITATOR,
            lambda s, t: circle.extend(s, seconds, t),
            f"Added {texts.minutes(seconds)} to this turn.",
        )

    @app_commands.command(name="end", description="End the circle and put the channel back as it was")
    async def end(self, interaction: discord.Interaction) -> None:
        await self._step(interaction, Standing.FACILITATOR, circle.end, texts.ENDED_REPLY)

    # Members ------------------------------------------------------------------------------------------------

    @app_commands.command(name="join", description="Join this channel's circle")
    async def join(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.actions.active_in(interaction.channel_id or 0, interaction.guild_id or 0)
        await self.actions.join(interaction, loaded)

    @app_commands.command(name="leave", description="Leave this channel's circle")
    async def leave(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.actions.active_in(interaction.channel_id or 0, interaction.guild_id or 0)
        await self.actions.leave(interaction, loaded.row.id)

    @app_commands.command(name="pass", description="Done sharing, or pass your coming turn: no reason needed")
    async def pass_(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.actions.active_in(interaction.channel_id or 0, interaction.guild_id or 0)
        await self.actions.pass_turn(interaction, loaded.row.id)

    @app_commands.command(name="status", description="Where the circle is: round, holder, time left, who is next")
    async def status(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        loaded = await self.actions.active_in(interaction.channel_id or 0, interaction.guild_id or 0)
        text = self.actions.status_text(loaded.state)
        await send_private(interaction, text)

    # Recurring circles (cogs/circles/series.py) ---------------------------------------------------------------

    @app_commands.command(name="schedule", description="Set up a recurring circle that opens itself before each time")
    @app_commands.describe(
        channel="Where the circle meets",
        name="What the group calls it, e.g. Grief circle",
        when="weekly DAY[,DAY] HH:MM or every N weeks DAY HH:MM, in the server's timezone",
        duration_minutes="How long a session lasts, for the server's Events (default 60)",
        format="talking-stick (one speaker at a time) or empathy (speaker and active listener)",
        turn_minutes="How long each turn lasts, from 0.5 to 20 minutes (default: the server's setting)",
        rounds="How many rounds, from 1 to 5 (default 1)",
        deck="The prompt deck for every round (default: check-in first, closing last)",
        enforcement="strict: only the holder can post; gentle: a quiet reminder instead",
        auto_start="Start the circle by itself at the session's time (default: a facilitator starts it)",
        open_minutes_before="How many minutes before the start the circle opens for joining, 0 to 60 (default 10)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        channel: CircleChannel,
        name: app_commands.Range[str, 1, 100],
        when: str,
        duration_minutes: app_commands.Range[int, 15, 480] = 60,
        format: Literal["talking-stick", "empathy"] = "talking-stick",
        turn_minutes: app_commands.Range[float, 0.5, 20.0] | None = None,
        rounds: app_commands.Range[int, 1, 5] = 1,
        deck: str | None = None,
        enforcement: Literal["strict", "gentle"] = "strict",
        auto_start: bool = False,
        open_minutes_before: app_commands.Range[int, 0, 60] = 10,
    ) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        assert interaction.guild_id is not None
        target = self.bot.get_channel(channel.id)
        if target is None or not hasattr(target, "guild"):
            raise UserFacingError(texts.NOT_A_CIRCLE_CHANNEL)
        settings = await self.actions.settings_for(
            interaction.guild_id,
            format=format,
            turn_minutes=turn_minutes,
            rounds=rounds,
            enforcement=enforcement,
            deck=self._deck_id(deck),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await self.series.schedule(
            guild_id=interaction.guild_id,
            user_id=interaction.user.id,
            channel=target,
            name=name,
            when=when,
            settings=settings,
            duration_minutes=duration_minutes,
            auto_start=auto_start,
            open_minutes_before=open_minutes_before,
        )
        await send_private(interaction, reply)

    @open_.autocomplete("deck")
    @schedule.autocomplete("deck")
    async def _deck_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.bot.features.prompts.deck_choices(current)

    @app_commands.command(name="schedules", description="The recurring circles here and when each meets next")
    async def schedules(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        await send_private(interaction, await self.series.list_text(interaction.guild_id, interaction.user.id))

    @app_commands.command(name="skip-session", description="Cancel one session of a recurring circle")
    @app_commands.describe(
        series="The recurring circle",
        date="Which session (default: the next one), e.g. 2026-03-17",
    )
    async def skip_session(self, interaction: discord.Interaction, series: str, date: str | None = None) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_private(interaction, await self.series.skip(interaction.guild_id, series, date))

    @app_commands.command(name="unschedule", description="End a recurring circle; its coming events are cancelled")
    @app_commands.describe(series="The recurring circle")
    async def unschedule(self, interaction: discord.Interaction, series: str) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_private(interaction, await self.series.unschedule(interaction.guild_id, series))

    @app_commands.command(name="remind", description="A DM an hour before each session of a recurring circle")
    @app_commands.describe(series="The recurring circle", setting="on: remind me; off: stop reminding me")
    async def remind(self, interaction: discord.Interaction, series: str, setting: Literal["on", "off"]) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        reply = await self.series.remind(interaction.guild_id, series, interaction.user.id, setting == "on")
        await send_private(interaction, reply)

    @skip_session.autocomplete("series")
    @unschedule.autocomplete("series")
    @remind.autocomplete("series")
    async def _series_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.series.choices(interaction.guild_id or 0, current)

    @skip_session.autocomplete("date")
    async def _session_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        chosen = str(getattr(interaction.namespace, "series", "") or "")
        return await self.series.date_choices(interaction.guild_id or 0, chosen, current)
