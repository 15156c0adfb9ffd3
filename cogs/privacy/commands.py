"""`/privacy ...` (members): see, export and delete what the bot keeps about you; tracking and celebrate choices."""

from __future__ import annotations

import io
import json
import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.db.privacy import delete_everything, export_document, export_tables
from bot.replies import GuardedView, send_private
from cogs.privacy import texts

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

# What an export's tables are, in a member's words, for `/privacy show`.
TABLE_WORDS = {
    "attendance_events": ("attendance note", "attendance notes"),
    "attended_sessions": ("circle you came to", "circles you came to"),
    "attendance_prefs": ("record of your choices", "records of your choices"),
    "circles": ("circle that names you", "circles that name you"),
    "circle_overwrites": ("channel permission to put back", "channel permissions to put back"),
    "gentle_reminders": ("gentle-reminder time", "gentle-reminder times"),
    "rule_acceptances": ("rules acceptance", "rules acceptances"),
    "mod_cases": ("moderation case", "moderation cases"),
    "crisis_member_prefs": ("crisis-care choice", "crisis-care choices"),
    "crisis_responses": ("crisis-care record (kept 24 hours)", "crisis-care records (kept 24 hours)"),
    "voice_changes": ("voice change to undo", "voice changes to undo"),
    "circle_series": ("recurring circle you set up", "recurring circles you set up"),
    "series_reminders": ("reminder you asked for", "reminders you asked for"),
    "series_reminder_sends": ("reminder already sent", "reminders already sent"),
}


def holdings(tables: dict[str, list[dict[str, Any]]]) -> str:
    parts = []
    for table, rows in tables.items():
        if rows:
            one, many = TABLE_WORDS.get(table, (f"row in {table}", f"rows in {table}"))
            parts.append(f"{len(rows)} {one if len(rows) == 1 else many}")
    return "**Right now:** " + (", ".join(parts) + "." if parts else "nothing at all.")


def export_file(document: dict[str, Any], guild_id: int) -> discord.File:
    data = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    return discord.File(io.BytesIO(data), filename=f"my-data-{guild_id}.json")


async def in_running_circle(bot: CircleBot, guild_id: int, user_id: int) -> bool:
    for row in await bot.store.circles.active():
        if row.guild_id == guild_id and (
            user_id in row.state.get("participants", []) or row.facilitator_user_id == user_id
        ):
            return True
    return False


class DeleteView(GuardedView):
    """Delete, (delete but keep tracking off), or keep: only for the person who asked."""

    def __init__(self, bot: CircleBot, guild_id: int, user_id: int, *, tracking_off: bool) -> None:
        super().__init__(timeout=300)
        self.bot = bot
        self.guild_id = guild_id
        self.user_id = user_id
        if not tracking_off:
            self.remove_item(self.delete_keep_off)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.user_id:
            await send_private(interaction, texts.DELETE_ONLY_YOU)
            return False
        return True

    async def _delete(self, interaction: discord.Interaction, *, keep_tracking_off: bool) -> None:
        self.stop()
        count = await delete_everything(self.bot.store, self.guild_id, self.user_id)
        if keep_tracking_off:
            await self.bot.store.members.set_tracking(self.guild_id, self.user_id, False, self.bot.clock.now())
        running = await in_running_circle(self.bot, self.guild_id, self.user_id)
        await interaction.response.edit_message(
            content=texts.deleted(count, kept_tracking_off=keep_tracking_off, running=running), view=None
        )

    @discord.ui.button(label="Delete my data", style=discord.ButtonStyle.danger)
    async def delete(self, interaction: discord.Interaction, button: discord.ui.Button[DeleteView]) -> None:
        await self._delete(interaction, keep_tracking_off=False)

    @discord.ui.button(label="Delete, keep tracking off", style=discord.ButtonStyle.danger)
    async def delete_keep_off(self, interaction: discord.Interaction, button: discord.ui.Button[DeleteView]) -> None:
        await self._delete(interaction, keep_tracking_off=True)

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction, button: discord.ui.Button[DeleteView]) -> None:
        self.stop()
        await interaction.response.edit_message(content=texts.DELETE_KEPT, view=None)


@app_commands.guild_only()
class PrivacyCog(commands.GroupCog, group_name="privacy", group_description="Your data here: see, export or delete it"):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show", description="What the bot keeps about you here, and why (only you see it)")
    async def show(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        tables = await export_tables(self.bot.store, interaction.guild_id, interaction.user.id)
        await send_private(interaction, f"{texts.PRIVACY_SHOW}\n{holdings(tables)}")

    @app_commands.command(name="export", description="Get everything the bot keeps about you here, as a file")
    async def export(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        await interaction.response.defer(ephemeral=True, thinking=True)
        document = await export_document(self.bot.store, guild_id, interaction.user.id, self.bot.clock.now())
        server = interaction.guild.name if interaction.guild is not None else "this server"
        try:
            await interaction.user.send(texts.EXPORT_DM.format(server=server), file=export_file(document, guild_id))
        except discord.Forbidden:
            # DMs closed: the file comes here instead, where only they can see it.
            await send_private(interaction, texts.EXPORT_HERE, file=export_file(document, guild_id))
            return
        await send_private(interaction, texts.EXPORT_SENT)

    @app_commands.command(name="delete", description="Delete everything the bot keeps about you here (asks first)")
    async def delete(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        prefs = await self.bot.store.members.get(interaction.guild_id, interaction.user.id)
        text = texts.DELETE_CONFIRM + ("" if prefs.tracking else texts.DELETE_CONFIRM_TRACKING_OFF)
        view = DeleteView(self.bot, interaction.guild_id, interaction.user.id, tracking_off=not prefs.tracking)
        await send_private(interaction, text, view=view)

    @app_commands.command(name="tracking", description="Stop or resume noting your attendance in this server")
    @app_commands.describe(setting="off: stop noting your attendance here; on: note it again (the default)")
    async def tracking(self, interaction: discord.Interaction, setting: Literal["on", "off"]) -> None:
        await self._set_tracking(interaction, setting == "on")

    async def _set_tracking(self, interaction: discord.Interaction, tracking: bool) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        await self.bot.store.members.set_tracking(
            interaction.guild_id, interaction.user.id, tracking, self.bot.clock.now()
        )
        await send_private(interaction, texts.TRACKING_ON if tracking else texts.TRACKING_OFF)

    @app_commands.command(name="celebrate", description="Choose how your milestones are acknowledged")
    @app_commands.describe(setting="on: a one-line thank-you in the circle's channel; off: a private DM (the default)")
    async def celebrate(self, interaction: discord.Interaction, setting: Literal["on", "off"]) -> None:
        await self._set_celebrate(interaction, setting == "on")

    async def _set_celebrate(self, interaction: discord.Interaction, celebrate: bool) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        await self.bot.store.members.set_celebrate(
            interaction.guild_id, interaction.user.id, celebrate, self.bot.clock.now()
        )
        await send_private(interaction, texts.CELEBRATE_ON if celebrate else texts.CELEBRATE_OFF)
