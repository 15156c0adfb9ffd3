"""`/rules show` (anyone) and `/rules edit` (admins): the group's agreements, numbered and versioned.

The group mixes a member command with an admin one, so it stays visible and `/rules edit` checks on every call.
Saving a version (from `/rules edit` or `/setup`) is `Agreements`: every version is a case in the mod log. Reached
from the facade as `GuidelineService.save_rules` and `.save_rules_from_setup`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require, standing_of
from bot.db.repos.guidelines import NewCase
from bot.domain.guidelines import DEFAULT_RULES, numbered, parse_rules
from bot.errors import UserFacingError
from bot.replies import GuardedView, report_error, send_private
from cogs.guidelines import texts
from cogs.guidelines.embeds import default_rules_embed, rules_embed
from cogs.guidelines.gate import COG_NAME, agree_view

if TYPE_CHECKING:
    from bot.app import CircleBot
    from cogs.guidelines.modlog import ModLog
    from cogs.guidelines.service import GuidelineService

log = logging.getLogger(__name__)

# discord.py keeps open modals by custom id alone: one per admin, so two admins editing never swap modals.
MODAL_ID = "rules:edit:{user_id}"
TEXT_ID = "rules:text"


class Agreements:
    """Saving a new version of the agreements, and its case in the mod log."""

    def __init__(self, bot: CircleBot, modlog: ModLog) -> None:
        self.bot = bot
        self.modlog = modlog

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    async def save_rules(
        self, guild: discord.Guild, actor_id: int, rules: tuple[str, ...], expected_version: int
    ) -> int:
        """Store a new version, log it as a case; return the version. Refuses kindly when nothing would change."""
        repo = self.bot.store.guidelines
        current = await repo.rules(guild.id)
        if current is not None and current.version == expected_version and current.rules == rules:
            raise UserFacingError(texts.RULES_UNCHANGED.format(version=current.version))
        version = await repo.save_rules(guild.id, rules, expected_version=expected_version, now=self.now)
        if not version:
            raise UserFacingError(texts.RULES_CONFLICT)
        await self.modlog.open_case(
            guild,
            NewCase(
                kind="rules",
                actor_user_id=actor_id,
                note=f"Version {version}: {len(rules)} agreement{'s' if len(rules) != 1 else ''}.",
            ),
        )
        log.info("guild %s: agreements saved as version %s", guild.id, version)
        return version

    async def save_rules_from_setup(self, guild: discord.Guild, actor_id: int, rules: tuple[str, ...]) -> int:
        """For the setup wizard: save over whatever version is current; the same list again keeps its version."""
        current = await self.bot.store.guidelines.rules(guild.id)
        if current is not None and current.rules == rules:
            return current.version
        return await self.save_rules(guild, actor_id, rules, current.version if current else 0)


class RulesModal(discord.ui.Modal):
    def __init__(self, service: GuidelineService, user_id: int, text: str, expected_version: int) -> None:
        super().__init__(title=texts.MODAL_TITLE, custom_id=MODAL_ID.format(user_id=user_id), timeout=30 * 60)
        self.service = service
        self.expected_version = expected_version
        self.text: discord.ui.TextInput[RulesModal] = discord.ui.TextInput(
            label=texts.MODAL_LABEL,
            style=discord.TextStyle.paragraph,
            custom_id=TEXT_ID,
            default=text[:4000] or None,
            placeholder=texts.MODAL_PLACEHOLDER,
            max_length=4000,
            required=True,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await require(self.service.bot, interaction, Standing.ADMIN)
        assert interaction.guild is not None
        rules = parse_rules(self.text.value)  # a Refusal says what to change, privately
        version = await self.service.save_rules(interaction.guild, interaction.user.id, rules, self.expected_version)
        await send_private(interaction, texts.RULES_SAVED.format(version=version))

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)


class AdoptView(GuardedView):
    """The first `/rules edit`: use the suggested agreements, edit them first, or write your own."""

    def __init__(self, service: GuidelineService) -> None:
        super().__init__(timeout=15 * 60)
        self.service = service

    @discord.ui.button(label="Use these", style=discord.ButtonStyle.success)
    async def use(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await require(self.service.bot, interaction, Standing.ADMIN)
        assert interaction.guild is not None
        await self.service.save_rules(interaction.guild, interaction.user.id, DEFAULT_RULES, 0)
        saved = await self.service.bot.store.guidelines.rules(interaction.guild.id)
        embed = rules_embed(saved) if saved is not None else None
        await interaction.response.edit_message(content=texts.RULES_ADOPTED, embed=embed, view=None)

    @discord.ui.button(label="Edit them first", style=discord.ButtonStyle.primary)
    async def edit(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await require(self.service.bot, interaction, Standing.ADMIN)
        await interaction.response.send_modal(RulesModal(self.service, interaction.user.id, numbered(DEFAULT_RULES), 0))

    @discord.ui.button(label="Write our own", style=discord.ButtonStyle.secondary)
    async def write(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await require(self.service.bot, interaction, Standing.ADMIN)
        await interaction.response.send_modal(RulesModal(self.service, interaction.user.id, "", 0))


@app_commands.guild_only()
class RulesCog(commands.GroupCog, name=COG_NAME, group_name="rules", group_description="The group's agreements"):
    def __init__(self, bot: CircleBot, service: GuidelineService) -> None:
        self.bot = bot
        self.service = service
        super().__init__()

    @app_commands.command(name="show", description="Read the group's agreements")
    async def show(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        rules = await self.bot.store.guidelines.rules(interaction.guild_id)
        if rules is None:
            admin = await standing_of(self.bot, interaction) >= Standing.ADMIN
            await send_private(interaction, texts.NO_RULES_ADMIN if admin else texts.NO_RULES)
            return
        accepted = await self.bot.store.guidelines.accepted_version(interaction.guild_id, interaction.user.id)
        if accepted == rules.version:
            await send_private(interaction, texts.AGREED_ALREADY, embed=rules_embed(rules))
        else:
            await send_private(
                interaction, texts.NOT_AGREED_YET, embed=rules_embed(rules), view=agree_view(rules.version)
            )

    @app_commands.command(name="edit", description="Write or change the group's agreements (admins)")
    async def edit(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        rules = await self.bot.store.guidelines.rules(interaction.guild_id)
        if rules is None:
            await send_private(
                interaction,
                texts.OFFER_DEFAULTS,
                embed=default_rules_embed(DEFAULT_RULES),
                view=AdoptView(self.service),
            )
            return
        await interaction.response.send_modal(
            RulesModal(self.service, interaction.user.id, numbered(rules.rules), rules.version)
        )
