"""`/config`: every subcommand is for admins, so the whole group is hidden from members by default.

Each subcommand checks the standing, then hands the value to its feature's setter (circles-wide ones in
`cogs/admin/settings.py`; the guidelines' and crisis care's through `bot.features`), the same setter `/setup`
calls, and shows the sentence it returns. A value the setter refuses is answered privately and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.domain import timezones
from bot.domain.guidelines import MAX_APPEAL_LENGTH, MAX_LADDER_TEXT, MAX_WARN_EXPIRY_DAYS, MIN_WARN_EXPIRY_DAYS
from bot.features import CRISIS_SCOPES
from bot.permissions import readiness
from bot.replies import send_private
from bot.wording import minutes
from cogs.admin.settings import MAX_TURN_MINUTES, MIN_TURN_MINUTES, ServerSetters

if TYPE_CHECKING:
    from bot.app import CircleBot


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in timezones.matching(current, limit=25)]


SCOPE_WORDS = {
    "circles": "circles: channels with an active circle (default)",
    "server": "server: every channel the bot can see",
    "off": "off: read nothing",
}
SCOPE_CHOICES = [app_commands.Choice(name=SCOPE_WORDS[scope], value=scope) for scope in CRISIS_SCOPES]


def _channel(channel_id: int | None, unset: str = "not set") -> str:
    return f"<#{channel_id}>" if channel_id else unset


async def settings_overview(bot: CircleBot, guild: discord.Guild) -> str:
    """Every setting of every feature in one view, with what each feature still needs to work."""
    gid = guild.id
    config = await bot.store.guilds.get(gid)
    crisis = await bot.store.crisis.settings(gid)
    moderation = await bot.store.guidelines.settings(gid)
    rules = await bot.store.guidelines.rules(gid)
    depth = await bot.store.prompts.max_depth(gid)
    schedules = await bot.store.prompts.schedules(gid)
    country = bot.resources.for_country(crisis.region) if crisis.region else None
    role = f"<@&{config.facilitator_role_id}>" if config.facilitator_role_id else "not set"
    lines = [
        "**Circles**",
        f"Facilitator role: {role} · Timezone: {config.timezone} · Turns: {minutes(config.default_turn_seconds)}",
        "**Prompts**",
        f"Deepest prompts drawn: {depth.value} · Scheduled prompts: {len(schedules)}",
        "**Guidelines**",
        f"Agreements: {f'version {rules.version}' if rules else 'none yet'} · "
        f"Mod log: {_channel(moderation.mod_log_channel_id)} · Warnings count for {moderation.warn_expiry_days} days"
        f" · Appeal text: {'set' if moderation.appeal_text else 'not set'}",
        "**Crisis care**",
        f"Screen reads: {crisis.scope} · Alerts: {_channel(crisis.alert_channel_id, 'off')} · "
        f"Help lines: {country.name if country else 'not set'}",
    ]
    missing = []
    if not config.facilitator_role_id:
        missing.append("a facilitator role (`/config facilitator-role`): until then only admins facilitate")
    if not rules:
        missing.append("the group's agreements (`/rules edit`): members join circles without accepting any")
    if not moderation.mod_log_channel_id:
        missing.append("a mod log (`/config mod-log`): filter hits and warnings are not recorded in a channel")
    if not crisis.region:
        missing.append("a help-line country (`/config region`): members who set none see only the directories")
    if crisis.scope != "off" and not crisis.alert_channel_id:
        missing.append("a crisis alert channel (`/config crisis-alerts`): facilitators are not alerted")
    if missing:
        lines += ["**Still to do**", *(f"• {m}" for m in missing)]
    lines += ["", readiness(guild, bot.application_id)]
    return "\n".join(lines)[:2000]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ConfigCog(commands.GroupCog, group_name="config", group_description="Server settings for circles (admins)"):
    def __init__(self, bot: CircleBot, setters: ServerSetters) -> None:
        self.bot = bot
        self.setters = setters
        super().__init__()

    async def _admin(self, interaction: discord.Interaction) -> discord.Guild:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild is not None
        return interaction.guild

    @app_commands.command(name="show", description="See every setting of this server, and what is missing")
    async def show(self, interaction: discord.Interaction) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await settings_overview(self.bot, guild))

    @app_commands.command(name="facilitator-role", description="Choose the role whose members facilitate circles")
    @app_commands.describe(role="People with this role can open, start, pause and end circles")
    async def facilitator_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await self.setters.set_facilitator_role(guild, role.id))

    @app_commands.command(name="timezone", description="Set the server's timezone for schedules and streaks")
    @app_commands.describe(tz="A timezone name such as Europe/Berlin or America/New_York")
    async def timezone(self, interaction: discord.Interaction, tz: str) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await self.setters.set_timezone(guild, tz))

    @timezone.autocomplete("tz")
    async def _timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @app_commands.command(name="turn-minutes", description="Set the default length of a turn in circles")
    @app_commands.describe(minutes="From 0.5 to 20 minutes")
    async def turn_minutes(
        self, interaction: discord.Interaction, minutes: app_commands.Range[float, MIN_TURN_MINUTES, MAX_TURN_MINUTES]
    ) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await self.setters.set_turn_minutes(guild, minutes))

    # Community guidelines (their setters: cogs/guidelines/settings.py) ------------------------------------------

    @app_commands.command(name="mod-log", description="Choose the channel where moderation cases are posted")
    @app_commands.describe(channel="A private channel for admins and facilitators")
    async def mod_log(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        guild = await self._admin(interaction)
        # The setter posts a first message there before it answers: defer, so a busy REST budget can't expire us.
        await interaction.response.defer(ephemeral=True, thinking=True)
        await send_private(interaction, await self.bot.features.guideline_settings.set_mod_log(guild, channel.id))

    @app_commands.command(name="warn-expiry", description="Set how long a warning's points count")
    @app_commands.describe(days="From 1 to 365 days (default 30); warnings stay on record after")
    async def warn_expiry(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, MIN_WARN_EXPIRY_DAYS, MAX_WARN_EXPIRY_DAYS],
    ) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await self.bot.features.guideline_settings.set_warn_expiry(guild, days))

    @app_commands.command(name="appeal", description="Set how warned members can appeal (sent with each warning)")
    @app_commands.describe(text="A sentence or two, such as who to write to; `default` for the bot's own")
    async def appeal(
        self, interaction: discord.Interaction, text: app_commands.Range[str, 1, MAX_APPEAL_LENGTH]
    ) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await self.bot.features.guideline_settings.set_appeal(guild, text))

    @app_commands.command(name="ladder", description="See or change the warning ladder (points to timeouts)")
    @app_commands.describe(steps="Like 2=10m, 3=1h, 4=1d, 5=alert (28 days at most), default or none; empty: show it")
    async def ladder(
        self, interaction: discord.Interaction, steps: app_commands.Range[str, 1, MAX_LADDER_TEXT] | None = None
    ) -> None:
        guild = await self._admin(interaction)
        settings = self.bot.features.guideline_settings
        shown = await settings.show_ladder(guild) if steps is None else await settings.set_ladder(guild, steps)
        await send_private(interaction, shown)

    # Crisis care (its setters: cogs/crisis/settings.py) ---------------------------------------------------------

    @app_commands.command(name="crisis-scope", description="Choose where the crisis screen reads messages")
    @app_commands.describe(scope="circles: channels with an active circle (default); server: everywhere; off")
    @app_commands.choices(scope=SCOPE_CHOICES)
    async def crisis_scope(self, interaction: discord.Interaction, scope: app_commands.Choice[str]) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await self.bot.features.crisis_settings.set_scope(guild, scope.value))

    @app_commands.command(name="crisis-alerts", description="Choose a private channel for crisis alerts")
    @app_commands.describe(channel="A channel only facilitators can see; leave it out to turn alerts off")
    async def crisis_alerts(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        guild = await self._admin(interaction)
        channel_id = channel.id if channel is not None else None
        await interaction.response.defer(ephemeral=True, thinking=True)  # a first post there comes before the answer
        await send_private(interaction, await self.bot.features.crisis_settings.set_alerts(guild, channel_id))

    @app_commands.command(name="region", description="Set the country whose helplines members see by default")
    @app_commands.describe(country="Start typing a country and pick it from the list")
    async def region(self, interaction: discord.Interaction, country: str) -> None:
        guild = await self._admin(interaction)
        await send_private(interaction, await self.bot.features.crisis_settings.set_region(guild, country))

    @region.autocomplete("country")
    async def _region_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.bot.features.crisis_settings.region_choices(current)
