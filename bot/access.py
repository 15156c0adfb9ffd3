"""Who may do what: member, facilitator, admin. Every command checks here, in one place.

Discord's own command permissions hide admin commands from members, but they apply to top-level commands only
and server admins can override them, so the bot checks again on every call.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import discord

from bot.errors import UserFacingError

if TYPE_CHECKING:
    from bot.app import CircleBot


class Standing(IntEnum):
    MEMBER = 0
    FACILITATOR = 1
    ADMIN = 2


class NotAllowed(UserFacingError):
    """The person lacks the standing a command needs."""


REFUSALS = {
    Standing.FACILITATOR: (
        "Only facilitators can do that. If you'd like to help hold circles, a server admin can give you the "
        "facilitator role."
    ),
    Standing.ADMIN: "Only server admins (people with the Manage Server permission) can change that.",
}


def is_admin(interaction: discord.Interaction) -> bool:
    guild = interaction.guild
    if guild is not None and guild.owner_id == interaction.user.id:
        return True
    perms = interaction.permissions
    return bool(perms.administrator or perms.manage_guild)


def has_role(member: discord.abc.User, role_id: int | None) -> bool:
    if role_id is None or not isinstance(member, discord.Member):
        return False
    return any(role.id == role_id for role in member.roles)


async def standing_of(bot: CircleBot, interaction: discord.Interaction) -> Standing:
    if interaction.guild_id is None:
        return Standing.MEMBER
    if is_admin(interaction):
        return Standing.ADMIN
    config = await bot.store.guilds.get(interaction.guild_id)
    if has_role(interaction.user, config.facilitator_role_id):
        return Standing.FACILITATOR
    return Standing.MEMBER


async def require(bot: CircleBot, interaction: discord.Interaction, needed: Standing) -> Standing:
    """Return the person's standing, or refuse kindly (nothing else happens) when it is below `needed`."""
    if interaction.guild_id is None:
        raise UserFacingError("That works inside a server, not in direct messages.")
    standing = await standing_of(bot, interaction)
    if standing < needed:
        raise NotAllowed(REFUSALS[needed])
    return standing


MAX_SNOWFLAKE = 2**63 - 1
"""Discord's ids (and the database's) fit in 63 bits; a custom id carrying more was not made by the bot."""


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_SNOWFLAKE


async def guild_for_dm(bot: CircleBot, guild_id: int) -> discord.Guild:
    """The server a DM button names: from the cache, or from Discord's REST API when its shard is not ready yet.

    DMs arrive on shard 0; the server may be on a shard that has not connected (or has not sent it) yet.
    """
    guild = bot.get_guild(guild_id)
    if guild is not None:
        return guild
    try:
        return await bot.fetch_guild(guild_id)
    except discord.HTTPException:
        raise UserFacingError("I can't reach that server any more.") from None


async def require_in_guild(bot: CircleBot, user_id: int, guild_id: int, needed: Standing) -> None:
    """The same check for a button pressed in a DM, where the interaction carries no server."""
    guild = await guild_for_dm(bot, guild_id)
    member = guild.get_member(user_id)
    if member is None:
        try:
            member = await guild.fetch_member(user_id)
        except discord.HTTPException:
            raise NotAllowed(REFUSALS[needed]) from None
    facilitator = await is_facilitator_member(bot, guild, member)
    admin = (
        guild.owner_id == member.id or member.guild_permissions.manage_guild or member.guild_permissions.administrator
    )
    standing = Standing.ADMIN if admin else Standing.FACILITATOR if facilitator else Standing.MEMBER
    if standing < needed:
        raise NotAllowed(REFUSALS[needed])


async def is_facilitator_member(bot: CircleBot, guild: discord.Guild, member: discord.Member) -> bool:
    """For decisions about other people (who keeps speaking rights in a locked channel)."""
    if guild.owner_id == member.id:
        return True
    perms = member.guild_permissions
    if perms.administrator or perms.manage_guild:
        return True
    config = await bot.store.guilds.get(guild.id)
    return has_role(member, config.facilitator_role_id)
