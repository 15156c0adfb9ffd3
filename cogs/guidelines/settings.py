"""The guidelines' `/config` subcommands (mod log, warning expiry, appeal text, ladder), called from ConfigCog.

`/config` is the admins' group (cogs/admin/config.py); its methods check the standing and hand over to these.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.guidelines import (
    LADDER_EXAMPLE,
    LadderAction,
    LadderError,
    describe_ladder,
    format_ladder,
    parse_ladder,
)
from bot.errors import UserFacingError
from bot.permissions import REQUIRED_PERMISSIONS, describe, missing_in
from bot.replies import QUIET, send_private
from cogs.guidelines import texts

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

MOD_LOG_NEEDS = tuple(
    need for need in REQUIRED_PERMISSIONS if need.flag in ("view_channel", "send_messages", "embed_links")
)


async def set_mod_log(bot: CircleBot, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    guild = interaction.guild
    assert guild is not None
    target = guild.get_channel(channel.id)
    if not isinstance(target, discord.TextChannel):
        raise UserFacingError("I can't see that channel. Pick a text channel I can read.")
    missing = missing_in(target.permissions_for(guild.me), MOD_LOG_NEEDS)
    if missing:
        raise UserFacingError(
            f"I can't post the mod log in {target.mention} yet. I need these permissions there:\n{describe(missing)}\n"
            "Nothing was changed."
        )
    try:
        await target.send(
            "📋 This channel is now the mod log: filter hits, warnings, timeouts, pardons and changes to the "
            "agreements are posted here as numbered cases. Crisis alerts never come here.",
            allowed_mentions=QUIET,
        )
    except discord.HTTPException:
        raise UserFacingError(
            f"Discord didn't let me post in {target.mention}, so I didn't change the mod log. "
            "Please check my permissions there and try again."
        ) from None
    await bot.store.guidelines.set_mod_log(guild.id, target.id, bot.clock.now())
    await send_private(interaction, f"Done. Cases will be posted in {target.mention}.")


async def set_warn_expiry(bot: CircleBot, interaction: discord.Interaction, days: int) -> None:
    assert interaction.guild_id is not None
    await bot.store.guidelines.set_warn_expiry(interaction.guild_id, days, bot.clock.now())
    await send_private(
        interaction,
        f"Done. A warning's points now count for {days} day{'s' if days != 1 else ''}; "
        "the warning itself stays on record.",
    )


async def set_appeal(bot: CircleBot, interaction: discord.Interaction, text: str) -> None:
    assert interaction.guild_id is not None
    cleaned = text.strip()
    if cleaned.lower() == "default":
        await bot.store.guidelines.set_appeal_text(interaction.guild_id, None, bot.clock.now())
        await send_private(interaction, f"Done. Warned members will read:\n> {texts.DEFAULT_APPEAL}")
        return
    await bot.store.guidelines.set_appeal_text(interaction.guild_id, cleaned, bot.clock.now())
    await send_private(interaction, f"Done. Warned members will read:\n> {cleaned}")


async def set_ladder(bot: CircleBot, interaction: discord.Interaction, steps: str | None) -> None:
    guild = interaction.guild
    assert guild is not None
    repo = bot.store.guidelines
    if steps is None:
        settings = await repo.settings(guild.id)
        shown = (
            "\n".join(f"• {line}" for line in describe_ladder(settings.ladder)) or "• no steps: warnings are recorded"
        )
        await send_private(
            interaction,
            f"**The warning ladder** (points count for {settings.warn_expiry_days} days)\n{shown}\n"
            f"To change it: `/config ladder steps:{format_ladder(settings.ladder)}`",
        )
        return
    try:
        ladder = parse_ladder(steps)
    except LadderError as error:
        raise UserFacingError(f"{error.message}\nExample: `{LADDER_EXAMPLE}`. Nothing was changed.") from None
    await repo.set_ladder(guild.id, ladder, bot.clock.now())
    shown = "\n".join(f"• {line}" for line in describe_ladder(ladder)) or "• no steps: warnings are only recorded"
    lines = [f"Done. The warning ladder is now:\n{shown}"]
    perms = guild.me.guild_permissions
    if any(rung.action == LadderAction.TIMEOUT for rung in ladder) and not (
        perms.moderate_members or perms.administrator
    ):
        lines.append(texts.NEEDS_TIMEOUT_MEMBERS)
    await send_private(interaction, "\n".join(lines))
