"""The mod log: numbered cases recorded in the database and posted to the server's mod-log channel.

Every filter hit, warning, timeout, pardon and change to the agreements is a case. With no mod-log channel a case is
still recorded; an alert to the admins then goes to the owner by DM. `tell` is the feature's one way of writing to
a member privately: a closed DM means nothing is sent, and nothing else happens. Reached from the facade as
`GuidelineService.open_case` and `.post_case`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.db.repos.guidelines import Case, NewCase
from bot.domain.guidelines import FilterRule
from bot.replies import QUIET
from cogs.guidelines.embeds import case_embed

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)


class ModLog:
    """Open, post and tell: what every other part of the guidelines records through."""

    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    async def open_case(
        self,
        guild: discord.Guild,
        new: NewCase,
        *,
        record_only: bool = False,
        filter_rule: FilterRule | None = None,
        rule_text: str | None = None,
        active: int | None = None,
        until: datetime | None = None,
        jump_url: str | None = None,
        alert_owner_if_no_log: bool = False,
    ) -> Case:
        """Record a numbered case and post it to the mod log (unless `record_only`: the caller posts it)."""
        case = await self.bot.store.guidelines.open_case(guild.id, new, self.now)
        if not record_only:
            await self.post_case(
                guild,
                case,
                filter_rule=filter_rule,
                rule_text=rule_text,
                active=active,
                until=until,
                jump_url=jump_url,
                alert_owner_if_no_log=alert_owner_if_no_log,
            )
        return case

    async def post_case(
        self,
        guild: discord.Guild,
        case: Case,
        *,
        note: str | None = None,
        filter_rule: FilterRule | None = None,
        rule_text: str | None = None,
        active: int | None = None,
        until: datetime | None = None,
        jump_url: str | None = None,
        alert_owner_if_no_log: bool = False,
    ) -> None:
        settings = await self.bot.store.guidelines.settings(guild.id)
        embed = case_embed(
            case,
            note=note,
            filter_rule=filter_rule,
            rule_text=rule_text,
            active=active,
            until=until,
            jump_url=jump_url,
            expiry_days=settings.warn_expiry_days,
        )
        channel = guild.get_channel(settings.mod_log_channel_id) if settings.mod_log_channel_id else None
        if isinstance(channel, discord.TextChannel):
            try:
                message = await channel.send(embed=embed, allowed_mentions=QUIET)
            except discord.HTTPException as exc:
                log.warning("guild %s: could not post case %s to the mod log (%s)", guild.id, case.number, exc.status)
            else:
                await self.bot.store.guidelines.set_log_message(guild.id, case.number, message.id)
                return
        if alert_owner_if_no_log:
            owner = guild.owner or self.bot.get_user(guild.owner_id or 0)
            if owner is None and guild.owner_id:
                try:
                    owner = await self.bot.fetch_user(guild.owner_id)
                except discord.HTTPException:
                    owner = None
            if owner is not None:
                await self.tell(owner, f"About **{guild.name}** (no mod-log channel is set):", embed=embed)

    async def tell(self, user: discord.User | discord.Member, text: str, *, embed: discord.Embed | None = None) -> bool:
        """A private note by DM; closed DMs mean nothing is sent (and nothing else happens)."""
        try:
            if embed is None:
                await user.send(text, allowed_mentions=QUIET)
            else:
                await user.send(text, embed=embed, allowed_mentions=QUIET)
        except discord.Forbidden:
            log.debug("a guidelines note was not sent: DMs closed")
            return False
        except discord.HTTPException as exc:
            log.info("a guidelines note was not sent (%s)", exc.status)
            return False
        return True
