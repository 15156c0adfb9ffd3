"""The work behind `/config crisis-scope`, `/config crisis-alerts` and `/config region`.

The commands live in `cogs/admin/config.py`, which checks that the person is an admin before calling these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.replies import QUIET, send_private
from cogs.crisis import texts
from cogs.crisis.commands import CLEAR, REGION_EXTRAS, country_choices, resolve_country

if TYPE_CHECKING:
    from bot.app import CircleBot

SCOPE_CHOICES = [
    app_commands.Choice(name="circles: channels with an active circle (default)", value="circles"),
    app_commands.Choice(name="server: every channel the bot can see", value="server"),
    app_commands.Choice(name="off: read nothing", value="off"),
]

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


async def set_scope(bot: CircleBot, interaction: discord.Interaction, scope: str) -> None:
    assert interaction.guild_id is not None
    await bot.store.crisis.set_scope(interaction.guild_id, scope, bot.clock.now())
    await send_private(interaction, SCOPE_DONE[scope])


async def set_alerts(bot: CircleBot, interaction: discord.Interaction, channel: discord.TextChannel | None) -> None:
    guild = interaction.guild
    assert guild is not None
    if channel is None:
        await bot.store.crisis.set_alert_channel(guild.id, None, bot.clock.now())
        await send_private(
            interaction,
            "Done. Crisis alerts are off. Members who seem to be in crisis still get a private check-in, and "
            "“Talk to a facilitator” tells them how to reach one.",
        )
        return
    if channel.permissions_for(guild.default_role).view_channel:
        raise UserFacingError(
            f"Everyone can see {channel.mention}. Alerts name a member who may be in danger, so please pick a "
            "channel only facilitators can see."
        )
    mine = channel.permissions_for(guild.me)
    missing = [
        words
        for flag, words in (("view_channel", "View Channel"), ("send_messages", "Send Messages"))
        if not getattr(mine, flag)
    ]
    if missing:
        raise UserFacingError(
            f"I can't post in {channel.mention} yet: I need **{'** and **'.join(missing)}** there. Nothing was changed."
        )
    try:
        await channel.send(texts.ALERTS_HERE, allowed_mentions=QUIET)
    except discord.HTTPException:
        raise UserFacingError(
            f"Discord didn't let me post in {channel.mention}, so I didn't turn alerts on. Please check my "
            "permissions there and try again."
        ) from None
    await bot.store.crisis.set_alert_channel(guild.id, channel.id, bot.clock.now())
    lines = [
        f"Done. When a message suggests someone may be in immediate danger, I'll post a private alert in "
        f"{channel.mention}: who, how urgent, and a link to the message (never a copy of it), with an "
        "**I'll reach out** button. “Talk to a facilitator” requests go there too.",
    ]
    config = await bot.store.guilds.get(guild.id)
    role = guild.get_role(config.facilitator_role_id) if config.facilitator_role_id else None
    if role is None:
        lines.append("Tip: set `/config facilitator-role` and alerts will ping that role.")
    elif not channel.permissions_for(role).view_channel:
        lines.append(f"Note: {role.mention} can't see {channel.mention} yet, so facilitators would miss alerts.")
    if (await bot.store.crisis.settings(guild.id)).scope == "off":
        lines.append("The crisis screen is off, so only “Talk to a facilitator” requests will arrive for now.")
    await send_private(interaction, "\n".join(lines))


async def set_region(bot: CircleBot, interaction: discord.Interaction, country: str) -> None:
    assert interaction.guild_id is not None
    value = country.strip()
    if value == CLEAR:
        await bot.store.crisis.set_region(interaction.guild_id, None, bot.clock.now())
        await send_private(
            interaction,
            "Done. No region is set: members who haven't chosen a country see international directories.",
        )
        return
    found = resolve_country(bot.resources, value)
    if found is None:
        raise UserFacingError(
            f"I don't have checked helplines for “{value[:60]}” yet. Start typing a country and pick one from the "
            "list; members elsewhere always see international directories."
        )
    await bot.store.crisis.set_region(interaction.guild_id, found.code, bot.clock.now())
    await send_private(
        interaction,
        f"Done. Members who haven't chosen their own country (`/resources set-country`) will see helplines for "
        f"**{found.name}**.",
    )


def region_choices(bot: CircleBot, current: str) -> list[app_commands.Choice[str]]:
    return country_choices(bot.resources, current, REGION_EXTRAS)
