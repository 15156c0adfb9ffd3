"""`/config`: every subcommand is for admins, so the whole group is hidden from members by default."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.errors import UserFacingError
from bot.replies import send_private

if TYPE_CHECKING:
    from bot.app import CircleBot


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    needle = current.strip().lower().replace(" ", "_")
    zones = all_timezones()
    if needle:
        starts = [z for z in zones if z.lower().startswith(needle) or z.lower().split("/")[-1].startswith(needle)]
        contains = [z for z in zones if needle in z.lower() and z not in starts]
        zones = tuple(starts + contains)
    return [app_commands.Choice(name=z, value=z) for z in zones[:25]]


def format_minutes(seconds: int) -> str:
    minutes = seconds / 60
    text = f"{minutes:g}"
    return f"{text} minute" if text == "1" else f"{text} minutes"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ConfigCog(commands.GroupCog, group_name="config", group_description="Server settings for circles (admins)"):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show", description="See this server's circle settings")
    async def show(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        config = await self.bot.db.guilds.get(interaction.guild_id)
        role = (
            f"<@&{config.facilitator_role_id}>" if config.facilitator_role_id else "not set (people with Manage Server)"
        )
        lines = [
            "**This server's circle settings**",
            f"Facilitator role: {role}",
            f"Timezone: {config.timezone}",
            f"Default turn length: {format_minutes(config.default_turn_seconds)}",
        ]
        await send_private(interaction, "\n".join(lines))

    @app_commands.command(name="facilitator-role", description="Choose the role whose members facilitate circles")
    @app_commands.describe(role="People with this role can open, start, pause and end circles")
    async def facilitator_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        if role.is_default():
            raise UserFacingError("@everyone can't be the facilitator role. Pick a role that only facilitators have.")
        await self.bot.db.guilds.set_facilitator_role(interaction.guild_id, role.id, self.bot.clock.now())
        await send_private(interaction, f"Done. People with {role.mention} can now hold circles.")

    @app_commands.command(name="timezone", description="Set the server's timezone for schedules and streaks")
    @app_commands.describe(tz="A timezone name such as Europe/Berlin or America/New_York")
    async def timezone(self, interaction: discord.Interaction, tz: str) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        name = tz.strip()
        if name not in all_timezones():
            raise UserFacingError(
                f"I don't know the timezone “{name[:60]}”. Start typing a city, like `Europe/Berlin` or "
                "`America/New_York`, and pick one from the list."
            )
        await self.bot.db.guilds.set_timezone(interaction.guild_id, name, self.bot.clock.now())
        await send_private(interaction, f"Done. This server now keeps time in **{name}**.")

    @timezone.autocomplete("tz")
    async def _timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @app_commands.command(name="turn-minutes", description="Set the default length of a turn in circles")
    @app_commands.describe(minutes="From 0.5 to 20 minutes")
    async def turn_minutes(
        self, interaction: discord.Interaction, minutes: app_commands.Range[float, 0.5, 20.0]
    ) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        seconds = round(minutes * 60)
        await self.bot.db.guilds.set_default_turn_seconds(interaction.guild_id, seconds, self.bot.clock.now())
        await send_private(
            interaction, f"Done. Turns now last {format_minutes(seconds)} unless a circle says otherwise."
        )
