"""`/filter ...` (admins): phrases and patterns the server filters, what happens on a hit, and where."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, is_admin, require
from bot.domain.guidelines import (
    FilterAction,
    FilterKind,
    FilterRule,
    FilterScope,
    LadderAction,
    compile_pattern,
    normalize,
    validate_phrase,
)
from bot.errors import UserFacingError
from bot.replies import send_private
from cogs.guidelines import texts

if TYPE_CHECKING:
    from bot.app import CircleBot
    from cogs.guidelines.service import GuidelineService

log = logging.getLogger(__name__)

# Enough for a real server's word list, and what bench/bench_filters.py measures.
MAX_FILTERS = {FilterKind.PHRASE: 1_000, FilterKind.PATTERN: 50}


def _line(rule: FilterRule) -> str:
    return f"{texts.describe_filter(rule)} → {rule.action}, {texts.SCOPE_WORDS[rule.scope]}"


def _parse_id(value: str) -> int | None:
    digits = value.strip().lstrip("#").split(" ", 1)[0]
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FilterCog(commands.GroupCog, name="Filters", group_name="filter", group_description="Word filters (admins)"):
    def __init__(self, bot: CircleBot, service: GuidelineService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="add", description="Filter a phrase or a pattern, and choose what happens on a hit")
    @app_commands.describe(
        kind="phrase: whole words, however they're spelled; pattern: a regular expression (checked safely)",
        text="The phrase or pattern to look for",
        action="delete: remove it and tell the author; warn: remove it and warn; alert: tell the mod log only",
        scope="circles: only in channels with a circle (default); server: everywhere",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        kind: Literal["phrase", "pattern"],
        text: app_commands.Range[str, 1, 500],
        action: Literal["delete", "warn", "alert"],
        scope: Literal["circles", "server"] = "circles",
    ) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild is not None
        guild = interaction.guild
        filter_kind, filter_action, filter_scope = FilterKind(kind), FilterAction(action), FilterScope(scope)
        text = text.strip()
        # A phrase or pattern the filter can't use is refused (a Refusal, shown privately) before anything is stored.
        folded = validate_phrase(text) if filter_kind == FilterKind.PHRASE else None
        if filter_kind == FilterKind.PATTERN:
            compile_pattern(text)
        compiled = await self.service.filters(guild.id)
        same_kind = [rule for rule in compiled.rules.values() if rule.kind == filter_kind]
        if len(same_kind) >= MAX_FILTERS[filter_kind]:
            raise UserFacingError(texts.FILTER_CAP.format(limit=MAX_FILTERS[filter_kind], kind=kind))
        for rule in same_kind:
            same = normalize(rule.text) == folded if folded is not None else rule.text == text
            if same and rule.scope == filter_scope:
                raise UserFacingError(texts.FILTER_DUPLICATE.format(id=rule.id))
        filter_id = await self.bot.store.guidelines.add_filter(
            guild.id, kind=filter_kind, text=text, action=filter_action, scope=filter_scope, now=self.service.now
        )
        self.service.forget_filters(guild.id)
        rule = FilterRule(filter_id, filter_kind, text, filter_action, filter_scope)
        lines = [f"Added {texts.describe_filter(rule)}: {texts.ACTION_WORDS[action]}, {texts.SCOPE_WORDS[scope]}."]
        if folded is not None and folded != text:
            lines.append(
                f"I'll look for “{folded}”: case, accents, look-alike letters and leetspeak don't matter, "
                "and it only matches whole words."
            )
        if filter_kind == FilterKind.PATTERN:
            lines.append("Patterns are checked against the folded text: lowercase, no accents, single spaces.")
        perms = guild.me.guild_permissions
        if filter_action != FilterAction.ALERT and not (perms.manage_messages or perms.administrator):
            lines.append(texts.NEEDS_MANAGE_MESSAGES)
        if filter_action == FilterAction.WARN and not (perms.moderate_members or perms.administrator):
            settings = await self.bot.store.guidelines.settings(guild.id)
            if any(rung.action == LadderAction.TIMEOUT for rung in settings.ladder):
                lines.append(texts.NEEDS_TIMEOUT_MEMBERS)
        await send_private(interaction, "\n".join(lines))

    @app_commands.command(name="remove", description="Stop filtering something")
    @app_commands.describe(filter="Start typing the phrase or pattern, then pick it")
    async def remove(self, interaction: discord.Interaction, filter: str) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        filter_id = _parse_id(filter)
        compiled = await self.service.filters(interaction.guild_id)
        rule = compiled.rules.get(filter_id) if filter_id is not None else None
        if rule is None or not await self.bot.store.guidelines.remove_filter(interaction.guild_id, rule.id):
            raise UserFacingError(texts.FILTER_UNKNOWN)
        self.service.forget_filters(interaction.guild_id)
        await send_private(interaction, f"Removed {texts.describe_filter(rule)}.")

    @remove.autocomplete("filter")
    async def _filter_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not is_admin(interaction):
            return []  # filter texts are for admins only, whatever Discord shows
        compiled = await self.service.filters(interaction.guild_id)
        needle = current.strip().lower()
        choices = []
        for rule in compiled.rules.values():
            line = _line(rule)
            if needle and needle not in line.lower():
                continue
            choices.append(app_commands.Choice(name=line[:100], value=str(rule.id)))
            if len(choices) == 25:
                break
        return choices

    @app_commands.command(name="list", description="See this server's filters")
    async def list_(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        compiled = await self.service.filters(interaction.guild_id)
        if not compiled.rules:
            await send_private(interaction, texts.NO_FILTERS)
            return
        skipped = dict(compiled.matcher.skipped)
        lines = []
        for rule in compiled.rules.values():
            line = _line(rule)
            if rule.id in skipped:
                line += f" (not in use: {skipped[rule.id]})"
            lines.append(line)
        body, shown = "", 0
        for line in lines:
            if len(body) + len(line) + 1 > 3_900:
                break
            body += line + "\n"
            shown += 1
        if shown < len(lines):
            body += f"…and {len(lines) - shown} more. Type in `/filter remove` to search them."
        embed = discord.Embed(title=f"Filters ({len(lines)})", description=body, colour=discord.Colour.gold())
        await send_private(interaction, embed=embed)

    @app_commands.command(name="test", description="See which filters a text would hit (nothing is posted)")
    @app_commands.describe(text="The text to try")
    async def test(self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 2000]) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        compiled = await self.service.filters(interaction.guild_id)
        hits = compiled.matcher.match(text, in_circle_channel=True)  # every filter: circle channels see them all
        folded = normalize(text)
        lines = [
            f"Folded, the text reads: `{folded[:300].replace('`', 'ˋ')}`" if folded else "It has no words to check."
        ]
        if not hits:
            lines.append("No filter would fire on it, anywhere.")
        else:
            lines.append("It would hit:")
            lines += [f"• {_line(compiled.rules[hit.rule_id])}" for hit in hits]
            if self.bot.screen.check(text).flagged:
                lines.append(texts.CRISIS_WOULD_FLAG)
        await send_private(interaction, "\n".join(lines)[:2000])
