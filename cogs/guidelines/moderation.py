"""`/warn`, `/warnings`, `/pardon` (facilitators) and the filters' message listener."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.domain.guidelines import LadderAction, active_points, describe_duration
from bot.errors import UserFacingError
from bot.replies import send_private
from cogs.guidelines import texts
from cogs.guidelines.warnings import timeout_problem, warn_refusal

if TYPE_CHECKING:
    from bot.app import CircleBot
    from cogs.guidelines.service import GuidelineService

log = logging.getLogger(__name__)


class ModerationCog(commands.Cog, name="Moderation"):
    def __init__(self, bot: CircleBot, service: GuidelineService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="warn", description="Give a member a warning (facilitators)")
    @app_commands.describe(
        member="Who the warning is for",
        reason="What happened, in a sentence: the member reads this",
        points="How many points it carries (default 1)",
        rule="Which of the group's agreements it concerns (optional)",
    )
    @app_commands.guild_only()
    async def warn(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        reason: app_commands.Range[str, 1, 300],
        points: app_commands.Range[int, 1, 5] = 1,
        rule: app_commands.Range[int, 1, 20] | None = None,
    ) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        guild = interaction.guild
        actor = interaction.user
        assert guild is not None and isinstance(actor, discord.Member)
        refusal = warn_refusal(guild, actor, member)
        if refusal is not None:
            raise UserFacingError(refusal)
        rule_text = None
        if rule is not None:
            rules = await self.bot.store.guidelines.rules(guild.id)
            if rules is None or rule > len(rules.rules):
                raise UserFacingError(texts.UNKNOWN_RULE.format(number=rule))
            rule_text = rules.rules[rule - 1]
        # Check a timeout the ladder calls for can be applied before anything is recorded.
        _settings, before, rung = await self.service.plan(guild.id, member.id, points)
        if rung is not None and rung.action == LadderAction.TIMEOUT and rung.duration is not None:
            problem = timeout_problem(guild, member)
            if problem is not None:
                raise UserFacingError(
                    texts.NEEDS_TIMEOUT_FOR_WARNING.format(
                        member=member.mention,
                        points=before + points,
                        duration=describe_duration(rung.duration),
                        problem=problem,
                    )
                )
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.service.give_warning(
            guild,
            member,
            actor_id=actor.id,
            points=points,
            reason=reason.strip(),
            rule_number=rule,
            rule_text=rule_text,
            channel_id=interaction.channel_id,
        )
        lines = [
            f"Warning recorded for {member.mention} (case {outcome.warning.number}, "
            f"{points} point{'s' if points != 1 else ''}; {outcome.active} active now)."
        ]
        if outcome.timeout is not None and outcome.timeout.duration is not None:
            lines.append(
                f"The warning ladder calls for a timeout: they're timed out for "
                f"{describe_duration(outcome.timeout.duration)} (case {outcome.timeout.number})."
            )
        elif outcome.problem:
            lines.append(f"The ladder's timeout couldn't be applied: {outcome.problem}")
        if outcome.alert is not None:
            lines.append(
                f"They've reached the top of the ladder, so I've asked the admins to step in "
                f"(case {outcome.alert.number}). Nobody is banned automatically."
            )
        lines.append(
            "I've told them privately, with how to appeal."
            if outcome.told_member
            else "Their DMs are closed, so I couldn't tell them myself."
        )
        await send_private(interaction, "\n".join(lines))

    @warn.autocomplete("rule")
    async def _rule_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        rules = await self.bot.store.guidelines.rules(interaction.guild_id)
        if rules is None:
            return []
        needle = current.strip().lower()
        return [
            app_commands.Choice(name=f"{number}. {text}"[:100], value=number)
            for number, text in enumerate(rules.rules, start=1)
            if not needle or needle in f"{number}. {text}".lower()
        ][:25]

    @app_commands.command(name="warnings", description="See a member's warnings and active points")
    @app_commands.describe(member="Whose warnings to see (members can see their own)")
    @app_commands.guild_only()
    async def warnings(self, interaction: discord.Interaction, member: discord.Member) -> None:
        if member.id != interaction.user.id:
            await require(self.bot, interaction, Standing.FACILITATOR)
        else:
            await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        repo = self.bot.store.guidelines
        cases = await repo.warnings(interaction.guild_id, member.id)
        if not cases:
            await send_private(interaction, texts.NO_WARNINGS.format(member=member.mention))
            return
        settings = await repo.settings(interaction.guild_id)
        now = self.service.now
        active = active_points([case.as_warning() for case in cases], now, settings.expiry)
        lines = []
        for case in reversed(cases[-15:]):
            if case.pardoned_at is not None:
                state = f"pardoned (case {case.pardon_number})"
            elif case.created_at + settings.expiry <= now:
                state = "expired"
            else:
                state = f"counts until {texts.when(case.created_at + settings.expiry, 'D')}"
            reason = (case.reason or "").replace("\n", " ")
            reason = reason if len(reason) <= 120 else reason[:119] + "…"
            lines.append(
                f"**Case {case.number}** · {texts.when(case.created_at, 'D')} · {case.points} pt · {state}\n{reason}"
            )
        if len(cases) > 15:
            lines.append(f"…and {len(cases) - 15} older.")
        embed = discord.Embed(
            title=f"Warnings for {member.display_name}",
            description="\n".join(lines)[:4096],
            colour=discord.Colour.orange(),
        )
        embed.add_field(name="Active points", value=str(active), inline=True)
        embed.add_field(name="Points count for", value=f"{settings.warn_expiry_days} days", inline=True)
        await send_private(interaction, embed=embed)

    @app_commands.command(name="pardon", description="Pardon a warning: its points stop counting (facilitators)")
    @app_commands.describe(case="The warning's case number, from the mod log or /warnings")
    @app_commands.guild_only()
    async def pardon(self, interaction: discord.Interaction, case: app_commands.Range[int, 1, 1_000_000_000]) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        guild = interaction.guild
        assert guild is not None
        found = await self.bot.store.guidelines.case(guild.id, case)
        if found is None:
            raise UserFacingError(texts.NO_SUCH_CASE.format(number=case))
        if found.kind != "warning":
            raise UserFacingError(texts.NOT_A_WARNING.format(number=case))
        if found.pardoned_at is not None:
            raise UserFacingError(texts.ALREADY_PARDONED.format(number=case))
        if found.user_id == interaction.user.id:
            raise UserFacingError(texts.OWN_PARDON)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pardon, problem = await self.service.pardon(guild, found, interaction.user.id)
        text = f"Pardoned: case {case} no longer counts (case {pardon.number})."
        if problem:
            text += f" The timeout it caused is still running: {problem}"
        await send_private(interaction, text)
