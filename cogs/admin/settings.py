"""The circles-wide server settings, one validated setter each: facilitator role, timezone, default turn length.

`/config` (cogs/admin/config.py) and `/setup` (cogs/onboarding, through `bot.features.server_settings`) both call
these, so a value is checked the same way whichever door it came through. Each setter returns the sentence to show;
a value it can't use raises `Refusal` and nothing is stored. The checks do not lean on Discord's option limits:
a crafted payload or a command registered before a limit changed reaches the setter all the same.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from bot import wording
from bot.domain import timezones
from bot.domain.refusal import Refusal

if TYPE_CHECKING:
    import discord

    from bot.app import CircleBot

log = logging.getLogger(__name__)

# The default turn length a server may choose, in minutes (a circle can still ask for its own).
MIN_TURN_MINUTES, MAX_TURN_MINUTES = 0.5, 20.0


class ServerSetters:
    """`bot.features.server_settings`: what the circles feature needs set per server."""

    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot

    async def set_facilitator_role(self, guild: discord.Guild, role_id: int) -> str:
        if role_id == guild.id:  # @everyone's role id is the server's id
            raise Refusal(
                "settings.role_everyone",
                "@everyone can't be the facilitator role. Pick a role that only facilitators have.",
            )
        await self.bot.store.guilds.set_facilitator_role(guild.id, role_id, self.bot.clock.now())
        return f"Done. People with <@&{role_id}> can now hold circles."

    async def set_timezone(self, guild: discord.Guild, name: str) -> str:
        name = name.strip()
        if not timezones.known(name):
            raise Refusal(
                "settings.timezone_unknown",
                f"I don't know the timezone “{name[:60]}”. Start typing a city, like `Europe/Berlin` or "
                "`America/New_York`, and pick one from the list.",
            )
        await self.bot.store.guilds.set_timezone(guild.id, name, self.bot.clock.now())
        return f"Done. This server now keeps time in **{name}**."

    async def set_turn_minutes(self, guild: discord.Guild, minutes: float) -> str:
        if not (math.isfinite(minutes) and MIN_TURN_MINUTES <= minutes <= MAX_TURN_MINUTES):
            raise Refusal(
                "settings.turn_minutes_range",
                f"A turn can last from {MIN_TURN_MINUTES:g} to {MAX_TURN_MINUTES:g} minutes. Please pick a length "
                "in that range. Nothing was changed.",
            )
        seconds = round(minutes * 60)
        await self.bot.store.guilds.set_default_turn_seconds(guild.id, seconds, self.bot.clock.now())
        return f"Done. Turns now last {wording.minutes(seconds)} unless a circle says otherwise."
