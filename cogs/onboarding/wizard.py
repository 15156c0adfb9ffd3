"""The `/setup` wizard: one private message, one step at a time, each step saving through its setting's setter.

Each step shows the current value and saves only what the admin picks; a skipped step saves nothing. What is picked
goes to the same validated setter `/config` uses (reached through `bot.features`: the circles-wide settings, the
guidelines' and crisis care's), so the wizard can't store what `/config` refuses, and it shows the setter's own
sentence. A refusal is answered privately and the step stays open for another pick. The wizard ends with a
summary and a readiness check.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.access import NotAllowed, Standing, require_in_guild
from bot.domain.refusal import Refusal
from bot.features import CRISIS_SCOPES
from bot.permissions import readiness
from bot.replies import QUIET, GuardedView, report_error
from bot.wording import minutes

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Manila",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)
TURN_CHOICES = (1, 2, 3, 4, 5, 7, 10)
SCOPE_LABELS = {"circles": "Circle channels only", "server": "The whole server", "off": "Off"}


class TimezoneModal(discord.ui.Modal, title="Another timezone"):
    zone: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Timezone (IANA name)", placeholder="America/Toronto", max_length=64, custom_id="setup:zone"
    )

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(timeout=900, custom_id=f"setup:timezone:{wizard.token}")
        self.wizard = wizard

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.wizard.check(interaction)
        await self.wizard.save_timezone(interaction, str(self.zone.value).strip())

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)


class CountryModal(discord.ui.Modal, title="Another country"):
    country: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Country (name or two-letter code)", placeholder="Ireland", max_length=64, custom_id="setup:country"
    )

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(timeout=900, custom_id=f"setup:region:{wizard.token}")
        self.wizard = wizard

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.wizard.check(interaction)
        # No autocomplete in a modal: take the best match, or what was typed so the refusal can name it.
        typed = str(self.country.value).strip()
        found = self.wizard.bot.resources.search_countries(typed, limit=1)
        await self.wizard.save_region(interaction, found[0][0] if found else typed)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)


class RulesModal(discord.ui.Modal, title="The group's agreements"):
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="One agreement per line",
        style=discord.TextStyle.paragraph,
        max_length=4000,
        placeholder="What is shared here stays here.\nSpeak from your own experience.",
        custom_id="setup:rules-text",
    )

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(timeout=900, custom_id=f"setup:rules:{wizard.token}")
        self.wizard = wizard

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.wizard.check(interaction)
        await self.wizard.save_rules(interaction, str(self.text.value))

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)


STEPS = ("role", "timezone", "region", "rules", "crisis", "modlog", "turn", "done")


def _number(text: str) -> float:
    """A select's value as a number; NaN for anything else, which the setter refuses like any value out of range."""
    try:
        return float(text)
    except ValueError:
        return math.nan


class SetupWizard(GuardedView):
    """The `/setup` steps, one at a time, in one private message that is edited as the admin goes."""

    def __init__(self, bot: CircleBot, guild: discord.Guild, admin_id: int) -> None:
        super().__init__(timeout=900)
        self.bot = bot
        self.guild = guild
        self.admin_id = admin_id
        self.step = 0
        # The wizard's forms carry this in their custom ids: discord.py keeps open forms by custom id, so forms of
        # two admins (or two servers) must never share one, or one admin's answer lands in the other's server.
        self.token = f"{guild.id}:{admin_id}:{secrets.token_hex(4)}"

    async def check(self, interaction: discord.Interaction) -> None:
        """Every menu, button and form of the wizard is the admin's who opened it, in the server it was opened in."""
        if interaction.user.id != self.admin_id or (interaction.guild_id or self.guild.id) != self.guild.id:
            raise NotAllowed("This set-up belongs to the admin who opened it. Run `/setup` yourself to change things.")
        await require_in_guild(self.bot, interaction.user.id, self.guild.id, Standing.ADMIN)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await self.check(interaction)
        return True

    # Rendering ------------------------------------------------------------------------------------------------

    async def render(self) -> str:
        self.clear_items()
        name = STEPS[self.step]
        gid = self.guild.id
        config = await self.bot.store.guilds.get(gid)
        number = f"Step {self.step + 1} of {len(STEPS) - 1}"
        if name == "role":
            current = f"<@&{config.facilitator_role_id}>" if config.facilitator_role_id else "not set"
            select: discord.ui.RoleSelect[Any] = discord.ui.RoleSelect(placeholder="Choose the facilitator role")
            select.callback = self._picked_role  # type: ignore[method-assign]
            self.add_item(select)
            text = f"**{number}: facilitator role**\nFacilitators open, start, pause and end circles. Now: {current}"
        elif name == "timezone":
            options = [discord.SelectOption(label=z, value=z, default=z == config.timezone) for z in COMMON_ZONES]
            zones: discord.ui.Select[Any] = discord.ui.Select(placeholder="Choose a timezone", options=options)
            zones.callback = self._picked_zone  # type: ignore[method-assign]
            self.add_item(zones)
            self._button("Another timezone…", self._other_zone)
            text = f"**{number}: timezone**\nSchedules and streaks follow it. Now: {config.timezone}"
        elif name == "region":
            crisis = await self.bot.store.crisis.settings(gid)
            countries = self.bot.resources.countries()[:25]
            self._button("Another country…", self._other_country)
            options = [discord.SelectOption(label=n, value=c, default=c == crisis.region) for c, n in countries]
            region: discord.ui.Select[Any] = discord.ui.Select(placeholder="Choose a country", options=options)
            region.callback = self._picked_region  # type: ignore[method-assign]
            self.add_item(region)
            now = self.bot.resources.for_country(crisis.region) if crisis.region else None
            text = (
                f"**{number}: help lines**\nThe country whose crisis lines members see unless they choose their "
                f"own (more countries: `/config region`). Now: {now.name if now else 'not set'}"
            )
        elif name == "rules":
            rules = await self.bot.store.guidelines.rules(gid)
            self._button("Adopt the defaults", self._adopt_rules, discord.ButtonStyle.success)
            self._button("Write my own…", self._write_rules)
            current = f"version {rules.version}, {len(rules.rules)} agreements" if rules else "none yet"
            text = (
                f"**{number}: the group's agreements**\nOnce there are rules, members accept them before their "
                f"first circle. Now: {current}"
            )
        elif name == "crisis":
            crisis = await self.bot.store.crisis.settings(gid)
            scopes = [
                discord.SelectOption(label=SCOPE_LABELS[value], value=value, default=crisis.scope == value)
                for value in CRISIS_SCOPES
            ]
            scope: discord.ui.Select[Any] = discord.ui.Select(placeholder="Where the screen reads", options=scopes)
            scope.callback = self._picked_scope  # type: ignore[method-assign]
            self.add_item(scope)
            alerts: discord.ui.ChannelSelect[Any] = discord.ui.ChannelSelect(
                placeholder="Private channel for facilitator alerts", channel_types=[discord.ChannelType.text]
            )
            alerts.callback = self._picked_alerts  # type: ignore[method-assign]
            self.add_item(alerts)
            where = f"<#{crisis.alert_channel_id}>" if crisis.alert_channel_id else "off"
            text = (
                f"**{number}: crisis care**\nThe screen reads messages only to point someone to help, privately; "
                f"it keeps no text. Now: reads {crisis.scope}; alerts {where}"
            )
        elif name == "modlog":
            moderation = await self.bot.store.guidelines.settings(gid)
            log_channel: discord.ui.ChannelSelect[Any] = discord.ui.ChannelSelect(
                placeholder="Channel for moderation cases", channel_types=[discord.ChannelType.text]
            )
            log_channel.callback = self._picked_modlog  # type: ignore[method-assign]
            self.add_item(log_channel)
            where = f"<#{moderation.mod_log_channel_id}>" if moderation.mod_log_channel_id else "not set"
            text = f"**{number}: mod log**\nFilter hits, warnings and rules edits are recorded there. Now: {where}"
        elif name == "turn":
            seconds = config.default_turn_seconds
            options = [
                discord.SelectOption(label=minutes(m * 60), value=str(m), default=m * 60 == seconds)
                for m in TURN_CHOICES
            ]
            turn: discord.ui.Select[Any] = discord.ui.Select(placeholder="Default turn length", options=options)
            turn.callback = self._picked_turn  # type: ignore[method-assign]
            self.add_item(turn)
            text = (
                f"**{number}: turn length**\nHow long each turn lasts unless a circle says otherwise. "
                f"Now: {seconds / 60:g} minutes"
            )
        else:
            return await self.summary()
        self._button("Skip", self._skip, discord.ButtonStyle.secondary)
        return text + "\n-# Pick a value to save it, or Skip to leave it as it is."

    async def summary(self) -> str:
        gid = self.guild.id
        config = await self.bot.store.guilds.get(gid)
        crisis = await self.bot.store.crisis.settings(gid)
        moderation = await self.bot.store.guidelines.settings(gid)
        rules = await self.bot.store.guidelines.rules(gid)
        country = self.bot.resources.for_country(crisis.region) if crisis.region else None
        lines = [
            "**All set.** Here is how this server stands:",
            f"Facilitator role: {f'<@&{config.facilitator_role_id}>' if config.facilitator_role_id else 'not set'}",
            f"Timezone: {config.timezone}",
            f"Help lines: {country.name if country else 'not set'}",
            f"Agreements: {f'version {rules.version}' if rules else 'none yet'}",
            f"Crisis screen: reads {crisis.scope}; alerts "
            f"{f'<#{crisis.alert_channel_id}>' if crisis.alert_channel_id else 'off'}",
            f"Mod log: {f'<#{moderation.mod_log_channel_id}>' if moderation.mod_log_channel_id else 'not set'}",
            f"Turn length: {config.default_turn_seconds / 60:g} minutes",
            "",
            readiness(self.guild, self.bot.application_id),
            "\nRun `/setup` again any time to change these.",
        ]
        return "\n".join(lines)[:2000]

    def _button(
        self,
        label: str,
        callback: Callable[[discord.Interaction], Awaitable[None]],
        style: discord.ButtonStyle = discord.ButtonStyle.primary,
    ) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(label=label, style=style)
        button.callback = callback  # type: ignore[method-assign,assignment]
        self.add_item(button)

    async def advance(self, interaction: discord.Interaction, saved: str | None = None) -> None:
        self.step += 1
        text = await self.render()
        if saved:
            text = f"✅ {saved}\n\n{text}"
        if interaction.response.is_done():
            await interaction.edit_original_response(content=text[:2000], view=self, allowed_mentions=QUIET)
        else:
            await interaction.response.edit_message(content=text[:2000], view=self, allowed_mentions=QUIET)

    # Steps: each pick goes to its setting's setter, which checks it, stores it and says what it did -------------

    def _values(self, interaction: discord.Interaction) -> list[str]:
        data: dict[str, Any] = dict(interaction.data or {})
        return [str(v) for v in data.get("values") or []]

    def _value(self, interaction: discord.Interaction) -> str:
        values = self._values(interaction)
        return values[0] if values else ""

    def _id_value(self, interaction: discord.Interaction) -> int:
        """A role or channel picked from a menu; a value no menu offers (a crafted payload) is refused kindly."""
        value = self._value(interaction)
        if not value.isdigit():
            raise Refusal("setup.unknown_choice", "I couldn't make sense of that choice. Please pick from the list.")
        return int(value)

    async def _skip(self, interaction: discord.Interaction) -> None:
        await self.advance(interaction)

    async def _picked_role(self, interaction: discord.Interaction) -> None:
        role_id = self._id_value(interaction)
        if self.guild.get_role(role_id) is None:  # the menu lists this server's roles only
            raise Refusal("setup.unknown_role", "I can't find that role in this server. Please pick one from the list.")
        await self.advance(
            interaction, await self.bot.features.server_settings.set_facilitator_role(self.guild, role_id)
        )

    async def _picked_zone(self, interaction: discord.Interaction) -> None:
        await self.save_timezone(interaction, self._value(interaction))

    async def _other_zone(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(TimezoneModal(self))

    async def save_timezone(self, interaction: discord.Interaction, zone: str) -> None:
        await self.advance(interaction, await self.bot.features.server_settings.set_timezone(self.guild, zone))

    async def _picked_region(self, interaction: discord.Interaction) -> None:
        await self.save_region(interaction, self._value(interaction))

    async def _other_country(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(CountryModal(self))

    async def save_region(self, interaction: discord.Interaction, country: str) -> None:
        await self.advance(interaction, await self.bot.features.crisis_settings.set_region(self.guild, country))

    async def _adopt_rules(self, interaction: discord.Interaction) -> None:
        await self.save_rules(interaction, None)

    async def _write_rules(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(RulesModal(self))

    async def save_rules(self, interaction: discord.Interaction, text: str | None) -> None:
        """The agreements as typed, or the suggested ones (None); logged in the mod log like `/rules edit`."""
        settings = self.bot.features.guideline_settings
        await self.advance(interaction, await settings.save_rules(self.guild, interaction.user.id, text))

    async def _picked_scope(self, interaction: discord.Interaction) -> None:
        said = await self.bot.features.crisis_settings.set_scope(self.guild, self._value(interaction))
        # The alert channel is on the same step: stay on it.
        await interaction.response.edit_message(
            content=f"✅ {said}\n\n{await self.render()}"[:2000], view=self, allowed_mentions=QUIET
        )

    async def _picked_alerts(self, interaction: discord.Interaction) -> None:
        channel_id = self._id_value(interaction)
        await self.advance(interaction, await self.bot.features.crisis_settings.set_alerts(self.guild, channel_id))

    async def _picked_modlog(self, interaction: discord.Interaction) -> None:
        channel_id = self._id_value(interaction)
        await self.advance(interaction, await self.bot.features.guideline_settings.set_mod_log(self.guild, channel_id))

    async def _picked_turn(self, interaction: discord.Interaction) -> None:
        minutes = _number(self._value(interaction))
        await self.advance(interaction, await self.bot.features.server_settings.set_turn_minutes(self.guild, minutes))
