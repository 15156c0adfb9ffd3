"""`/config`: every subcommand is for admins, so the whole group is hidden from members by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.domain import timezones
from bot.errors import UserFacingError
from bot.permissions import readiness
from bot.replies import send_private
from cogs.crisis import admin as crisis_admin
from cogs.guidelines import settings as guideline_settings

if TYPE_CHECKING:
    from bot.app import CircleBot


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in timezones.matching(current, limit=25)]


def format_minutes(seconds: int) -> str:
    minutes = seconds / 60
    text = f"{minutes:g}"
    return f"{text} minute" if text == "1" else f"{text} minutes"


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
        f"Facilitator role: {role} · Timezone: {config.timezone} · "
        f"Turns: {format_minutes(config.default_turn_seconds)}",
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
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show", description="See every setting of this server, and what is missing")
    async def show(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild is not None
        await send_private(interaction, await settings_overview(self.bot, interaction.guild))

    @app_commands.command(name="facilitator-role", description="Choose the role whose members facilitate circles")
    @app_commands.describe(role="People with this role can open, start, pause and end circles")
    async def facilitator_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        if role.is_default():
            raise UserFacingError("@everyone can't be the facilitator role. Pick a role that only facilitators have.")
        await self.bot.store.guilds.set_facilitator_role(interaction.guild_id, role.id, self.bot.clock.now())
        await send_private(interaction, f"Done. People with {role.mention} can now hold circles.")

    @app_commands.command(name="timezone", description="Set the server's timezone for schedules and streaks")
    @app_commands.describe(tz="A timezone name such as Europe/Berlin or America/New_York")
    async def timezone(self, interaction: discord.Interaction, tz: str) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        name = tz.strip()
        if not timezones.known(name):
            raise UserFacingError(
                f"I don't know the timezone “{name[:60]}”. Start typing a city, like `Europe/Berlin` or "
                "`America/New_York`, and pick one from the list."
            )
        await self.bot.store.guilds.set_timezone(interaction.guild_id, name, self.bot.clock.now())
        await send_private(interaction, f"Done. This server now keeps time in **{name}**.")

    @timezone.autocomplete("tz")
    async def _timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @app_commands.command(name="turn-minutes", description="Set the default length of a turn in circles")
    @app_commands.describe(minutes="From 0.5 to 20 minutes")
    async def turn_minutes(
        self, interaction: discord.Interaction, minutes: app_commands.Range[float, 0.5, 20.0]
    ) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        seconds = round(minutes * 60)
        await self.bot.store.guilds.set_default_turn_seconds(interaction.guild_id, seconds, self.bot.clock.now())
        await send_private(
            interaction, f"Done. Turns now last {format_minutes(seconds)} unless a circle says otherwise."
        )

    # Community guidelines (cogs/guidelines/settings.py does the work) ---------------------------------------

    @app_commands.command(name="mod-log", description="Choose the channel where moderation cases are posted")
    @app_commands.describe(channel="A private channel for admins and facilitators")
    async def mod_log(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await guideline_settings.set_mod_log(self.bot, interaction, channel)

    @app_commands.command(name="warn-expiry", description="Set how long a warning's points count")
    @app_commands.describe(days="From 1 to 365 days (default 30); warnings stay on record after")
    async def warn_expiry(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365]) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await guideline_settings.set_warn_expiry(self.bot, interaction, days)

    @app_commands.command(name="appeal", description="Set how warned members can appeal (sent with each warning)")
    @app_commands.describe(text="A sentence or two, such as who to write to; `default` for the bot's own")
    async def appeal(self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 500]) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await guideline_settings.set_appeal(self.bot, interaction, text)

    @app_commands.command(name="ladder", description="See or change the warning ladder (points to timeouts)")
    @app_commands.describe(steps="Like 2=10m, 3=1h, 4=1d, 5=alert (28 days at most), default or none; empty: show it")
    async def ladder(
        self, interaction: discord.Interaction, steps: app_commands.Range[str, 1, 200] | None = None
    ) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await guideline_settings.set_ladder(self.bot, interaction, steps)

    # Crisis care (cogs/crisis/admin.py does the work) ---------------------------------------------------------

    @app_commands.command(name="crisis-scope", description="Choose where the crisis screen reads messages")
    @app_commands.describe(scope="circles: channels with an active circle (default); server: everywhere; off")
    @app_commands.choices(scope=crisis_admin.SCOPE_CHOICES)
    async def crisis_scope(self, interaction: discord.Interaction, scope: app_commands.Choice[str]) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await crisis_admin.set_scope(self.bot, interaction, scope.value)

    @app_commands.command(name="crisis-alerts", description="Choose a private channel for crisis alerts")
    @app_commands.describe(channel="A channel only facilitators can see; leave it out to turn alerts off")
    async def crisis_alerts(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await crisis_admin.set_alerts(self.bot, interaction, channel)

    @app_commands.command(name="region", description="Set the country whose helplines members see by default")
    @app_commands.describe(country="Start typing a country and pick it from the list")
    async def region(self, interaction: discord.Interaction, country: str) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await crisis_admin.set_region(self.bot, interaction, country)

    @region.autocomplete("country")
    async def _region_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return crisis_admin.region_choices(self.bot, current)
