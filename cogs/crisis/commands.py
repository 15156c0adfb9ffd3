"""`/resources ...` for everyone, and the listener that reads messages in scope for the crisis screen."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.db.repos.crisis import OTHER_COUNTRY
from bot.domain.resources import CountryResources, Resources
from bot.errors import UserFacingError
from bot.replies import send_private
from cogs.crisis import texts
from cogs.crisis.care import CrisisCare
from cogs.crisis.texts import Place

if TYPE_CHECKING:
    from bot.app import CircleBot

# Special answers to "which country?" besides the covered countries.
CLEAR = "clear"
MEMBER_EXTRAS = (("Somewhere not listed here", OTHER_COUNTRY), ("Forget my country (use the server's)", CLEAR))
REGION_EXTRAS = (("No region (clear it)", CLEAR),)


def country_choices(
    resources: Resources, current: str, extras: tuple[tuple[str, str], ...] = ()
) -> list[app_commands.Choice[str]]:
    """Covered countries matching what was typed, then the special answers that match; 25 at most."""
    needle = _fold(current).strip()
    matching_extras = [(name, value) for name, value in extras if not needle or needle in _fold(name)]
    found = resources.search_countries(current, limit=25 - len(matching_extras))
    return [app_commands.Choice(name=name, value=code) for code, name in found] + [
        app_commands.Choice(name=name, value=value) for name, value in matching_extras
    ]


def resolve_country(resources: Resources, typed: str) -> CountryResources | None:
    """A covered country from an autocomplete value (its code) or from what someone typed without picking."""
    text = typed.strip()
    if not text:
        return None
    if len(text) == 2 and (country := resources.for_country(text)) is not None:
        return country
    folded = _fold(text)
    found = resources.search_countries(text, limit=25)
    for code, name in found:
        country = resources.for_country(code)
        if country is not None and (folded == _fold(name) or folded in (_fold(a) for a in country.aliases)):
            return country
    if len(found) == 1:
        return resources.for_country(found[0][0])
    return None


def _fold(text: str) -> str:
    """Lower case without accents, as the resources table matches names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


SCREEN_SETTINGS = [
    app_commands.Choice(name="on: the bot may check in with me privately", value="on"),
    app_commands.Choice(name="off: don't read my messages for this", value="off"),
]


@app_commands.guild_only()
class ResourcesCog(
    commands.GroupCog,
    name="Crisis",
    group_name="resources",
    group_description="Helplines and crisis support, privately",
):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self.care = CrisisCare(bot)
        super().__init__()

    async def cog_load(self) -> None:
        # Whatever expired while the bot was down goes now; the next expiry is scheduled.
        await self.care.prune()

    @app_commands.command(name="show", description="See helplines and the emergency number, privately")
    @app_commands.describe(country="A country (default: the one you chose, else this server's region)")
    async def show(self, interaction: discord.Interaction, country: str | None = None) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        resources = self.bot.resources
        if country is not None and country.strip():
            if country.strip() == OTHER_COUNTRY:
                place = Place(None, chose_other=True)
                asked_for = None
            else:
                found = resolve_country(resources, country)
                place, asked_for = Place(found), (None if found else country.strip())
        else:
            place, asked_for = await self.care.place_of(interaction.guild_id, interaction.user.id), None
        await send_private(interaction, texts.resources_text(resources, place, asked_for=asked_for))

    @show.autocomplete("country")
    async def _show_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(self.bot.resources, current)

    @app_commands.command(name="set-country", description="Choose your country, so helplines shown to you are local")
    @app_commands.describe(country="Start typing your country and pick it from the list")
    async def set_country(self, interaction: discord.Interaction, country: str) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        guild_id, user_id, now = interaction.guild_id, interaction.user.id, self.bot.clock.now()
        value = country.strip()
        if value == CLEAR:
            await self.bot.store.crisis.set_country(guild_id, user_id, None, now)
            settings = await self.bot.store.crisis.settings(guild_id)
            region = self.bot.resources.for_country(settings.region) if settings.region else None
            follow = f"this server's region, **{region.name}**" if region else "international directories"
            await send_private(interaction, f"Done. I've forgotten your country, so I'll show you {follow}.")
            return
        if value == OTHER_COUNTRY:
            await self.bot.store.crisis.set_country(guild_id, user_id, OTHER_COUNTRY, now)
            await send_private(
                interaction,
                "Done. I'll show you international directories that list helplines in almost every country.",
            )
            return
        found = resolve_country(self.bot.resources, value)
        if found is None:
            raise UserFacingError(
                f"I don't have checked helplines for “{value[:60]}” yet. Pick a country from the list, or choose "
                "“Somewhere not listed here” and I'll show you international directories instead."
            )
        await self.bot.store.crisis.set_country(guild_id, user_id, found.code, now)
        await send_private(interaction, f"Done. When I share helplines with you, they'll be for **{found.name}**.")

    @set_country.autocomplete("country")
    async def _set_country_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(self.bot.resources, current, MEMBER_EXTRAS)

    @app_commands.command(name="screen", description="Choose whether the bot may check in with you privately")
    @app_commands.describe(setting="on: the bot may check in with you privately here; off: no check-ins, nothing kept")
    @app_commands.choices(setting=SCREEN_SETTINGS)
    async def screen(self, interaction: discord.Interaction, setting: app_commands.Choice[str]) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        off = setting.value == "off"
        await self.bot.store.crisis.set_screen_off(interaction.guild_id, interaction.user.id, off, self.bot.clock.now())
        if off:
            await send_private(
                interaction,
                "Done. I won't read your messages here for signs that you may be struggling: no check-ins, no "
                "alerts, nothing kept. One thing stays: a message that sounds like a cry for help is never removed "
                "or warned about by a filter. `/resources show` is always there, and `/resources screen setting:on` "
                "turns this back on.",
            )
            return
        settings = await self.bot.store.crisis.settings(interaction.guild_id)
        if settings.scope == "off":
            where = "This server has the screen turned off right now, so I'm not reading anything."
        else:
            where = f"I read messages in {texts.SCOPE_WORDS[settings.scope]}; nothing you write is stored."
        await send_private(
            interaction,
            "Done. If something you write here suggests you may be struggling, I may check in with you privately, "
            f"by DM. {where}",
        )
