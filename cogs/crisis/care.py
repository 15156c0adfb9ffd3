"""Crisis care's shell: which messages are read, the private check-in, facilitator alerts, and the buttons' work.

The screen itself (`bot.screen`, pure domain code) decides the tier; this module decides whom to tell, through the
24-hour record in `bot.store.crisis`. It never deletes, warns, reacts or replies in public, never copies a message
anywhere, and never writes to a mod log: the only place a message is referenced is a facilitator alert, by link.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot import access
from bot.access import Standing
from bot.db.repos.crisis import OTHER_COUNTRY, CrisisSettings, MemberPrefs
from bot.errors import UserFacingError
from bot.replies import QUIET, send_private
from cogs.crisis import texts
from cogs.crisis.buttons import check_in_view, reach_view
from cogs.crisis.texts import Place

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.features import MessageFacts

log = logging.getLogger(__name__)

PRUNE_JOB = "crisis:prune"
CLOSED_DMS = 50007


class CrisisCare:
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    # Where helplines come from --------------------------------------------------------------------------------

    def place(self, prefs: MemberPrefs, settings: CrisisSettings) -> Place:
        """The member's own country, else the server's region, else the international directories."""
        if prefs.country == OTHER_COUNTRY:
            return Place(None, chose_other=True)
        for code in (prefs.country, settings.region):
            if code:
                country = self.bot.resources.for_country(code)
                if country is not None:
                    return Place(country)
        return Place(None)

    async def place_of(self, guild_id: int, user_id: int) -> Place:
        prefs = await self.bot.store.crisis.prefs(guild_id, user_id)
        settings = await self.bot.store.crisis.settings(guild_id)
        return self.place(prefs, settings)

    # Reading messages -----------------------------------------------------------------------------------------

    @staticmethod
    def in_scope(facts: MessageFacts, settings: CrisisSettings) -> bool:
        if settings.scope == "off" or facts.message.channel.id == settings.alert_channel_id:
            # The alert channel is where facilitators talk about alerts: never screened.
            return False
        return settings.scope == "server" or facts.circle_id is not None

    async def care_for(self, facts: MessageFacts) -> None:
        """Care for a message the one message path hands over: a check-in (and an alert) if it is flagged.

        Scope and consent come before the finding: for a message out of scope, or from a member who turned the
        screen off, crisis care looks at nothing (the message path's shield still keeps filters and reminders
        away from a flagged message, and that is all the finding is used for).
        """
        message, member = facts.message, facts.member
        settings = await self.bot.store.crisis.settings(member.guild.id)
        if not self.in_scope(facts, settings):
            return
        prefs = await self.bot.store.crisis.prefs(member.guild.id, member.id)
        if prefs.screen_off:
            return
        finding = facts.finding
        if finding.tier < 2:
            return
        await self.respond(message, member, finding.tier, tuple(finding.categories), settings, prefs)

    # Responding -----------------------------------------------------------------------------------------------

    async def respond(
        self,
        message: discord.Message,
        member: discord.Member,
        tier: int,
        categories: tuple[str, ...],
        settings: CrisisSettings,
        prefs: MemberPrefs,
    ) -> None:
        guild = member.guild
        now = self.now
        alerts_on = settings.alert_channel_id is not None
        outcome = texts.DM_RECENT
        if await self.bot.store.crisis.claim_dm(guild.id, member.id, tier, categories, now) is not None:
            outcome = await self.send_check_in(member, tier, self.place(prefs, settings), alerts_on)
        if tier >= 3 and alerts_on:
            await self.alert(message, member, tier, categories, settings, outcome)
        await self.prune()

    async def send_check_in(self, member: discord.Member, tier: int, place: Place, alerts_on: bool) -> str:
        text = texts.check_in(
            name=discord.utils.escape_markdown(member.display_name),
            server=discord.utils.escape_markdown(member.guild.name),
            tier=tier,
            place=place,
            resources=self.bot.resources,
            alerts_on=alerts_on,
        )
        try:
            await member.send(text, view=check_in_view(member.guild.id, tier), allowed_mentions=QUIET)
        except discord.Forbidden as error:
            # 50007: the member does not accept DMs from this server's members. A facilitator alert, where the
            # server has one, is then the only response; nothing is ever posted in public instead.
            log.info("crisis check-in not delivered: DMs closed (code %s)", error.code)
            return texts.DM_CLOSED if error.code == CLOSED_DMS else texts.DM_FAILED
        except discord.HTTPException as error:
            log.warning("crisis check-in not delivered: Discord answered %s", error.status)
            return texts.DM_FAILED
        return texts.DM_SENT

    async def alert(
        self,
        message: discord.Message,
        member: discord.Member,
        tier: int,
        categories: tuple[str, ...],
        settings: CrisisSettings,
        dm_outcome: str,
    ) -> None:
        guild = member.guild
        claim = await self.bot.store.crisis.claim_alert(guild.id, member.id, tier, categories, self.now)
        if claim is None:
            return
        content = texts.alert(
            member_id=member.id,
            tier=tier,
            categories=categories,
            jump_url=message.jump_url,
            dm_outcome=dm_outcome,
        )
        if not await self.post_for_facilitators(guild, settings, content):
            # Let the next message try again rather than stay silent for a day.
            await self.bot.store.crisis.forget(claim)

    async def post_for_facilitators(self, guild: discord.Guild, settings: CrisisSettings, content: str) -> bool:
        """Post in the private alert channel, pinging the facilitator role only; False if that was not possible."""
        channel: discord.abc.Messageable | None = None
        if settings.alert_channel_id:
            channel = guild.get_channel(settings.alert_channel_id)  # type: ignore[assignment]
            if channel is None and self.bot.get_guild(guild.id) is None:
                # The server came from REST (its shard is not ready): post by id; Discord says if it is gone.
                channel = self.bot.get_partial_messageable(settings.alert_channel_id, guild_id=guild.id)
        if not isinstance(channel, discord.TextChannel | discord.PartialMessageable):
            log.warning("crisis alert channel of server %s is gone", guild.id)
            return False
        if not await self._still_private(guild, settings.alert_channel_id or 0, channel):
            return False
        config = await self.bot.store.guilds.get(guild.id)
        role = guild.get_role(config.facilitator_role_id) if config.facilitator_role_id else None
        if role is not None:
            content = f"{role.mention} {content}"
        mentions = discord.AllowedMentions(everyone=False, users=False, roles=[role] if role else False)
        try:
            await channel.send(content, view=reach_view(), allowed_mentions=mentions)
        except discord.HTTPException as error:
            log.warning("crisis alert not posted in server %s: Discord answered %s", guild.id, error.status)
            return False
        return True

    async def _still_private(self, guild: discord.Guild, channel_id: int, channel: object) -> bool:
        """Whether @everyone still cannot read the alert channel (someone may have changed it since it was set).

        If they can, no alert is posted there, and the server's owner is told privately what to fix.
        """
        if not isinstance(channel, discord.TextChannel):
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException:
                return True  # Discord will refuse the post itself if the channel is gone
        if not isinstance(channel, discord.TextChannel):
            return True
        if not channel.permissions_for(channel.guild.default_role).view_channel:
            return True
        log.warning("crisis alert channel of server %s is readable by everyone: alert held back", guild.id)
        try:
            owner = self.bot.get_user(guild.owner_id or 0) or await self.bot.fetch_user(guild.owner_id or 0)
            await owner.send(texts.alerts_went_public(guild.name, channel.id), allowed_mentions=QUIET)
        except discord.HTTPException:
            log.info("could not tell the owner of server %s about the public alert channel", guild.id)
        return False

    # The 24-hour record ---------------------------------------------------------------------------------------

    async def prune(self) -> None:
        """Delete what the rate limit no longer needs, and come back when the next row expires."""
        next_expiry = await self.bot.store.crisis.prune(self.now)
        if next_expiry is None:
            self.bot.scheduler.cancel(PRUNE_JOB)
        else:
            self.bot.scheduler.schedule(PRUNE_JOB, next_expiry, self.prune)

    # Buttons on the check-in (in a DM: the server comes from the button) ----------------------------------------

    async def talk(self, interaction: discord.Interaction, guild_id: int, tier: int) -> None:
        # Only someone the bot checked in with today may ask, once per check-in, at the tier the bot recorded
        # (the button's own tier and server come from a custom id, which anyone can copy).
        found = await self.bot.store.crisis.last_check_in(guild_id, interaction.user.id, self.now)
        if found is None:
            raise UserFacingError(texts.TALK_NO_CHECK_IN)
        response_id, tier = found
        guild = await access.guild_for_dm(self.bot, guild_id)
        if not await self.bot.store.crisis.claim_talk(response_id):
            await send_private(interaction, texts.TALK_ALREADY)
            return
        settings = await self.bot.store.crisis.settings(guild_id)
        place = await self.place_of(guild_id, interaction.user.id)
        content = texts.talk_alert(member_id=interaction.user.id, tier=tier)
        if settings.alert_channel_id is not None and await self.post_for_facilitators(guild, settings, content):
            await interaction.response.edit_message(view=check_in_view(guild_id, tier, talk_done=True))
            await send_private(interaction, texts.talk_sent(place))
            return
        config = await self.bot.store.guilds.get(guild_id)
        role = guild.get_role(config.facilitator_role_id) if config.facilitator_role_id else None
        await send_private(
            interaction,
            texts.talk_no_channel(
                server=discord.utils.escape_markdown(guild.name),
                role_name=discord.utils.escape_markdown(role.name) if role else None,
                place=place,
            ),
        )

    async def more(self, interaction: discord.Interaction, guild_id: int) -> None:
        place = await self.place_of(guild_id, interaction.user.id)
        await send_private(interaction, texts.resources_text(self.bot.resources, place))

    async def okay(self, interaction: discord.Interaction, guild_id: int, tier: int) -> None:
        await self.bot.store.crisis.record_okay(guild_id, interaction.user.id, tier, self.now)
        await send_private(interaction, texts.OKAY_REPLY)
        await self.prune()

    # The alert's button (in the server's private alert channel) ------------------------------------------------

    async def reach(self, interaction: discord.Interaction) -> None:
        await access.require(self.bot, interaction, Standing.FACILITATOR)
        message = interaction.message
        if message is None:
            raise UserFacingError("I can't find that alert any more.")
        if texts.TAKEN_MARK in message.content:
            await send_private(interaction, texts.ALREADY_TAKEN)
            return
        body = message.content.rsplit("\n", 1)[0] if texts.ALERT_ASK in message.content else message.content
        content = f"{body}\n{texts.taken(interaction.user.mention, self.now.replace(microsecond=0))}"
        who = interaction.user.display_name
        await interaction.response.edit_message(content=content, view=reach_view(taken_by=who), allowed_mentions=QUIET)
