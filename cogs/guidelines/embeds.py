"""How a case looks in the mod log, and how the rules look to members."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.db.repos.guidelines import Case, RulesRow
from bot.domain.guidelines import FilterRule, describe_duration, numbered
from cogs.guidelines import texts

TITLES = {
    "filter": "Filter hit",
    "warning": "Warning",
    "timeout": "Timeout",
    "alert": "The admins are needed",
    "pardon": "Pardon",
    "rules": "Agreements edited",
}
COLOURS = {
    "filter": discord.Colour.gold(),
    "warning": discord.Colour.orange(),
    "timeout": discord.Colour.red(),
    "alert": discord.Colour.purple(),
    "pardon": discord.Colour.green(),
    "rules": discord.Colour.blue(),
}
ACTION_DONE = {"delete": "deleted", "warn": "deleted, and a warning given", "alert": "left in place"}


def case_embed(
    case: Case,
    *,
    note: str | None = None,
    filter_rule: FilterRule | None = None,
    rule_text: str | None = None,
    active: int | None = None,
    until: datetime | None = None,
    jump_url: str | None = None,
    expiry_days: int | None = None,
) -> discord.Embed:
    embed = discord.Embed(
        title=f"Case {case.number} · {TITLES[case.kind]}", colour=COLOURS[case.kind], timestamp=case.created_at
    )
    if case.user_id is not None:
        embed.add_field(name="Member", value=f"<@{case.user_id}>", inline=True)
    embed.add_field(name="By", value=f"<@{case.actor_user_id}>" if case.actor_user_id else "the bot", inline=True)
    if case.kind == "warning":
        points = f"{case.points}"
        if active is not None:
            points += f" ({active} active now"
            points += f"; points count for {expiry_days} days)" if expiry_days else ")"
        embed.add_field(name="Points", value=points, inline=True)
    if case.reason:
        embed.add_field(name="Reason", value=case.reason[:1024], inline=False)
    if case.rule_number is not None:
        value = f"{case.rule_number}. {rule_text}" if rule_text else str(case.rule_number)
        embed.add_field(name="Agreement", value=value[:1024], inline=False)
    if filter_rule is not None:
        action = ACTION_DONE.get(case.action or "", "")
        value = texts.describe_filter(filter_rule) + (f": message {action}" if action else "")
        embed.add_field(name="Filter", value=value[:1024], inline=False)
    if case.channel_id is not None:
        embed.add_field(name="Channel", value=f"<#{case.channel_id}>", inline=True)
    if jump_url:
        embed.add_field(name="Message", value=f"[Jump to it]({jump_url})", inline=True)
    if case.kind == "timeout" and case.duration is not None:
        value = describe_duration(case.duration)
        if until is not None:
            value += f", until {texts.when(until)}"
        embed.add_field(name="Timeout", value=value, inline=True)
    if case.refers_to is not None:
        embed.add_field(name="Follows", value=f"case {case.refers_to}", inline=True)
    text = "\n".join(part for part in (case.note, note) if part)
    if text:
        embed.add_field(name="Note", value=text[:1024], inline=False)
    embed.set_footer(text=f"Case {case.number}")
    return embed


def rules_embed(rules: RulesRow) -> discord.Embed:
    embed = discord.Embed(
        title=texts.RULES_TITLE,
        description=numbered(rules.rules)[:4096],
        colour=discord.Colour.from_rgb(120, 160, 140),
        timestamp=rules.updated_at,
    )
    embed.set_footer(text=f"Version {rules.version}")
    return embed


def default_rules_embed(rules: tuple[str, ...]) -> discord.Embed:
    embed = discord.Embed(
        title="Suggested agreements", description=numbered(rules), colour=discord.Colour.from_rgb(120, 160, 140)
    )
    return embed
