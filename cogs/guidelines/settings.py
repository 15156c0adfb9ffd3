"""The guidelines' server settings, one validated setter each: mod log, warnings, ladder, setup's agreements.

`/config` (cogs/admin) and `/setup` (cogs/onboarding) reach these through `bot.features.guideline_settings`, so both
doors check a value the same way. Each setter returns the sentence to show; a value it can't use raises `Refusal`
and nothing is stored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.guidelines import (
    DEFAULT_RULES,
    LADDER_EXAMPLE,
    LadderAction,
    clean_appeal,
    describe_ladder,
    format_ladder,
    parse_ladder,
    parse_rules,
    validate_warn_expiry,
)
from bot.domain.refusal import Refusal
from bot.permissions import REQUIRED_PERMISSIONS, describe, missing_in
from bot.replies import QUIET
from cogs.guidelines import texts

if TYPE_CHECKING:
    from bot.app import CircleBot
    from cogs.guidelines.service import GuidelineService

log = logging.getLogger(__name__)

MOD_LOG_NEEDS = tuple(
    need for need in REQUIRED_PERMISSIONS if need.flag in ("view_channel", "send_messages", "embed_links")
)


class GuidelineSetters:
    """`bot.features.guideline_settings`."""

    def __init__(self, bot: CircleBot, service: GuidelineService) -> None:
        self.bot = bot
        self.service = service

    async def set_mod_log(self, guild: discord.Guild, channel_id: int) -> str:
        target = guild.get_channel(channel_id)
        if not isinstance(target, discord.TextChannel):
            raise Refusal("modlog.channel_unseen", "I can't see that channel. Pick a text channel I can read.")
        missing = missing_in(target.permissions_for(guild.me), MOD_LOG_NEEDS)
        if missing:
            raise Refusal(
                "modlog.missing_permissions",
                f"I can't post the mod log in {target.mention} yet. I need these permissions there:\n"
                f"{describe(missing)}\nNothing was changed.",
            )
        try:
            await target.send(texts.MOD_LOG_HERE, allowed_mentions=QUIET)
        except discord.HTTPException:
            raise Refusal(
                "modlog.post_refused",
                f"Discord didn't let me post in {target.mention}, so I didn't change the mod log. "
                "Please check my permissions there and try again.",
            ) from None
        await self.bot.store.guidelines.set_mod_log(guild.id, target.id, self.bot.clock.now())
        return f"Done. Cases will be posted in {target.mention}."

    async def set_warn_expiry(self, guild: discord.Guild, days: int) -> str:
        days = validate_warn_expiry(days)
        await self.bot.store.guidelines.set_warn_expiry(guild.id, days, self.bot.clock.now())
        return (
            f"Done. A warning's points now count for {days} day{'s' if days != 1 else ''}; "
            "the warning itself stays on record."
        )

    async def set_appeal(self, guild: discord.Guild, text: str) -> str:
        appeal = clean_appeal(text)
        await self.bot.store.guidelines.set_appeal_text(guild.id, appeal, self.bot.clock.now())
        return f"Done. Warned members will read:\n> {appeal or texts.DEFAULT_APPEAL}"

    async def show_ladder(self, guild: discord.Guild) -> str:
        settings = await self.bot.store.guidelines.settings(guild.id)
        shown = (
            "\n".join(f"• {line}" for line in describe_ladder(settings.ladder)) or "• no steps: warnings are recorded"
        )
        return (
            f"**The warning ladder** (points count for {settings.warn_expiry_days} days)\n{shown}\n"
            f"To change it: `/config ladder steps:{format_ladder(settings.ladder)}`"
        )

    async def set_ladder(self, guild: discord.Guild, steps: str) -> str:
        try:
            ladder = parse_ladder(steps)
        except Refusal as error:
            raise Refusal(error.key, f"{error.message}\nExample: `{LADDER_EXAMPLE}`. Nothing was changed.") from None
        await self.bot.store.guidelines.set_ladder(guild.id, ladder, self.bot.clock.now())
        shown = "\n".join(f"• {line}" for line in describe_ladder(ladder)) or "• no steps: warnings are only recorded"
        lines = [f"Done. The warning ladder is now:\n{shown}"]
        perms = guild.me.guild_permissions
        if any(rung.action == LadderAction.TIMEOUT for rung in ladder) and not (
            perms.moderate_members or perms.administrator
        ):
            lines.append(texts.NEEDS_TIMEOUT_MEMBERS)
        return "\n".join(lines)

    async def save_rules(self, guild: discord.Guild, actor_id: int, text: str | None) -> str:
        """The wizard's agreements: over whatever version is current, logged as a case like `/rules edit`."""
        rules = DEFAULT_RULES if text is None else parse_rules(text)
        version = await self.service.save_rules_from_setup(guild, actor_id, rules)
        return f"Agreements saved (version {version}, {len(rules)} agreements)."
