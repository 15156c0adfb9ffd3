"""Crisis care's server settings, one validated setter each: where the screen reads, the alert channel, the region.

`/config crisis-scope`, `/config crisis-alerts` and `/config region` (cogs/admin) and the crisis and help-line steps
of `/setup` (cogs/onboarding) reach these through `bot.features.crisis_settings`, so both doors hold the same line:
an alert names a member who may be in danger, so it never goes to a channel @everyone can read. Each setter returns
the sentence to show; a value it can't use raises `Refusal` and nothing is stored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.refusal import Refusal
from bot.features import CRISIS_SCOPES
from bot.permissions import NEEDS, missing_in
from bot.replies import QUIET
from cogs.crisis import texts
from cogs.crisis.commands import CLEAR, REGION_EXTRAS, country_choices, resolve_country

if TYPE_CHECKING:
    from discord import app_commands

    from bot.app import CircleBot

log = logging.getLogger(__name__)

SCOPE_DONE = {
    "circles": (
        "Done. The crisis screen reads messages only in channels with an active circle, to check in privately "
        "with someone who may be in crisis. Nothing anyone writes is stored, and members can opt out with "
        "`/resources screen setting:off`."
    ),
    "server": (
        "Done. The crisis screen reads messages in every channel I can see, to check in privately with someone "
        "who may be in crisis. Nothing anyone writes is stored, and members can opt out with "
        "`/resources screen setting:off`. Please let your members know."
    ),
    "off": "Done. The crisis screen reads nothing now. `/resources show` still works for everyone.",
}

ALERTS_OFF = (
    "Done. Crisis alerts are off. Members who seem to be in crisis still get a private check-in, and "
    "“Talk to a facilitator” tells them how to reach one."
)


class CrisisSetters:
    """`bot.features.crisis_settings`."""

    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot

    async def set_scope(self, guild: discord.Guild, scope: str) -> str:
        if scope not in CRISIS_SCOPES:
            raise Refusal(
                "crisis.scope_unknown",
                "The crisis screen can read in circle channels, in the whole server, or nowhere. Please pick one of "
                "those. Nothing was changed.",
            )
        await self.bot.store.crisis.set_scope(guild.id, scope, self.bot.clock.now())
        return SCOPE_DONE[scope]

    async def set_alerts(self, guild: discord.Guild, channel_id: int | None) -> str:
        if channel_id is None:
            await self.bot.store.crisis.set_alert_channel(guild.id, None, self.bot.clock.now())
            return ALERTS_OFF
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise Refusal(
                "crisis.alerts_unseen", "I can't see that channel. Pick a text channel only facilitators can see."
            )
        if channel.permissions_for(guild.default_role).view_channel:
            raise Refusal(
                "crisis.alerts_public",
                f"Everyone can see {channel.mention}. Alerts name a member who may be in danger, so please pick a "
                "channel only facilitators can see.",
            )
        mine = channel.permissions_for(guild.me)
        missing = [need.words for need in missing_in(mine, (NEEDS["view_channel"], NEEDS["send_messages"]))]
        if missing:
            raise Refusal(
                "crisis.alerts_missing_permissions",
                f"I can't post in {channel.mention} yet: I need **{'** and **'.join(missing)}** there. "
                "Nothing was changed.",
            )
        try:
            await channel.send(texts.ALERTS_HERE, allowed_mentions=QUIET)
        except discord.HTTPException:
            raise Refusal(
                "crisis.alerts_post_refused",
                f"Discord didn't let me post in {channel.mention}, so I didn't turn alerts on. Please check my "
                "permissions there and try again.",
            ) from None
        await self.bot.store.crisis.set_alert_channel(guild.id, channel.id, self.bot.clock.now())
        lines = [
            f"Done. When a message suggests someone may be in immediate danger, I'll post a private alert in "
            f"{channel.mention}: who, how urgent, and a link to the message (never a copy of it), with an "
            "**I'll reach out** button. “Talk to a facilitator” requests go there too.",
        ]
        config = await self.bot.store.guilds.get(guild.id)
        role = guild.get_role(config.facilitator_role_id) if config.facilitator_role_id else None
        if role is None:
            lines.append("Tip: set `/config facilitator-role` and alerts will ping that role.")
        elif not channel.permissions_for(role).view_channel:
            lines.append(f"Note: {role.mention} can't see {channel.mention} yet, so facilitators would miss alerts.")
        if (await self.bot.store.crisis.settings(guild.id)).scope == "off":
            lines.append("The crisis screen is off, so only “Talk to a facilitator” requests will arrive for now.")
        return "\n".join(lines)

    async def set_region(self, guild: discord.Guild, country: str) -> str:
        value = country.strip()
        if value == CLEAR:
            await self.bot.store.crisis.set_region(guild.id, None, self.bot.clock.now())
            return "Done. No region is set: members who haven't chosen a country see international directories."
        found = resolve_country(self.bot.resources, value)
        if found is None:
            raise Refusal(
                "crisis.region_unknown",
                f"I don't have checked help lines for “{value[:60]}” yet. Start typing a country and pick one from "
                "the list; members elsewhere always see international directories.",
            )
        await self.bot.store.crisis.set_region(guild.id, found.code, self.bot.clock.now())
        return (
            f"Done. Members who haven't chosen their own country (`/resources set-country`) will see helplines for "
            f"**{found.name}**."
        )

    def region_choices(self, current: str) -> list[app_commands.Choice[str]]:
        return country_choices(self.bot.resources, current, REGION_EXTRAS)
