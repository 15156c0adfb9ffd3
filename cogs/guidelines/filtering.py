"""The server's word filters on new messages: compiled once per server, matched, then acted on.

What a filter hit leads to: the message removed (with a note to its author), a warning up the ladder
(`cogs/guidelines/warnings.py`), or a case in the mod log (`cogs/guidelines/modlog.py`). The message path
(`cogs/messages`) calls `check_message` with the message's facts; a message the crisis screen flagged is never
deleted, never warned about and never reaches the mod log. Reached from the facade as `GuidelineService.filters`,
`.forget_filters` and `.check_message`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.db.repos.guidelines import NewCase
from bot.domain.guidelines import (
    DEFAULT_WARNING_POINTS,
    FilterAction,
    FilterHit,
    FilterRule,
    FilterScope,
    FilterSet,
    strongest_action,
)
from cogs.guidelines import texts
from cogs.guidelines.warnings import warn_refusal

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.features import MessageFacts
    from cogs.guidelines.modlog import ModLog
    from cogs.guidelines.warnings import Warnings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CompiledFilters:
    """A server's filters, compiled once and kept until an admin changes them."""

    matcher: FilterSet
    rules: dict[int, FilterRule]


class Filtering:
    """A server's filters, kept compiled until an admin changes them, and what happens when one fires."""

    def __init__(self, bot: CircleBot, warnings: Warnings, modlog: ModLog) -> None:
        self.bot = bot
        self.warnings = warnings
        self.modlog = modlog
        self._filters: dict[int, CompiledFilters] = {}

    async def filters(self, guild_id: int) -> CompiledFilters:
        compiled = self._filters.get(guild_id)
        if compiled is None:
            rules = await self.bot.store.guidelines.filters(guild_id)
            compiled = CompiledFilters(FilterSet.build(rules), {rule.id: rule for rule in rules})
            self._filters[guild_id] = compiled
        return compiled

    def forget_filters(self, guild_id: int) -> None:
        self._filters.pop(guild_id, None)

    async def check_message(self, facts: MessageFacts) -> None:
        """Run the server's filters on a new message and act on what they find."""
        message, guild = facts.message, facts.member.guild
        compiled = await self.filters(guild.id)
        if compiled.matcher.empty:
            return
        # Circle channels see every filter; ask whether this is one only when a circles-only filter fired.
        hits = compiled.matcher.match(message.content, in_circle_channel=True)
        if not hits:
            return
        circles_only = any(compiled.rules[hit.rule_id].scope == FilterScope.CIRCLES for hit in hits)
        if circles_only and facts.circle_id is None:
            hits = tuple(hit for hit in hits if compiled.rules[hit.rule_id].scope == FilterScope.SERVER)
            if not hits:
                return
        if facts.flagged:
            # A person in crisis is never punished: no delete, no warning, no mod log. Crisis care looks after them.
            log.debug("filter hit on a message the crisis screen flagged: left alone")
            return
        await self._act(message, facts.member, hits, compiled)

    async def _act(
        self, message: discord.Message, author: discord.Member, hits: tuple[FilterHit, ...], compiled: CompiledFilters
    ) -> None:
        guild = author.guild
        action = strongest_action(hits)
        assert action is not None
        primary = next(hit for hit in hits if hit.action == action)
        rule = compiled.rules[primary.rule_id]
        others = [compiled.rules[hit.rule_id] for hit in hits if hit.rule_id != primary.rule_id]
        notes: list[str] = []
        if others:
            notes.append("Also hit: " + ", ".join(texts.describe_filter(other) for other in others))
        deleted = False
        if action in (FilterAction.DELETE, FilterAction.WARN):
            deleted, problem = await self._delete(message)
            if problem:
                notes.append(problem)
        if action == FilterAction.WARN:
            refusal = warn_refusal(guild, guild.me, author)
            if refusal is None:
                await self.warnings.give_warning(
                    guild,
                    author,
                    actor_id=None,
                    points=DEFAULT_WARNING_POINTS,
                    reason=f"A message in <#{message.channel.id}> hit {texts.describe_filter(rule)}.",
                    filter_rule=rule,
                    channel_id=message.channel.id,
                    note="\n".join(notes) or None,
                    removed=deleted,
                )
                return
            notes.append(texts.NOT_WARNED_BY_FILTER)
        case = await self.modlog.open_case(
            guild,
            NewCase(
                kind="filter",
                user_id=author.id,
                filter_id=rule.id,
                action=str(action),
                channel_id=message.channel.id,
                note="\n".join(notes) or None,
            ),
            filter_rule=rule,
            jump_url=message.jump_url if not deleted else None,
        )
        log.info("filter case %s in guild %s: %s", case.number, guild.id, action)
        if deleted:
            await self.modlog.tell(
                author,
                f"Hi {author.display_name}. Your message in <#{message.channel.id}> was removed because it "
                f"contained {texts.filter_for_member(rule)}, which **{guild.name}** has chosen to filter. "
                "This is an automated note; nothing else happens.",
            )

    async def _delete(self, message: discord.Message) -> tuple[bool, str | None]:
        channel = message.channel
        me = message.guild.me if message.guild else None
        missing = (
            f"Not deleted: I need the **Manage Messages** permission in <#{channel.id}>. "
            "An admin can add it to my role in Server Settings → Roles."
        )
        if me is not None and hasattr(channel, "permissions_for") and not channel.permissions_for(me).manage_messages:
            return False, missing
        try:
            await message.delete()
        except discord.NotFound:
            return True, None  # someone removed it already
        except discord.Forbidden:
            return False, missing
        except discord.HTTPException as exc:
            log.info("could not delete a filtered message (%s)", exc.status)
            return False, "Not deleted: Discord didn't let me just now."
        return True, None
