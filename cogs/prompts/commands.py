"""`/prompt ...`: members, facilitators and admins share this group, so it stays visible and checks each call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, require
from bot.domain.prompts import CHECK_IN_DECK, Depth, NoPromptAvailable, validate_server_prompt
from bot.errors import UserFacingError
from bot.replies import report_error, send_private
from cogs.prompts import texts

if TYPE_CHECKING:
    from bot.app import CircleBot
    from cogs.prompts.service import PromptService


class AddPromptModal(discord.ui.Modal):
    """The `/prompt add` form: text, deck, depth and an optional content note."""

    def __init__(self, cog: PromptCog) -> None:
        super().__init__(title="Add a prompt for this server", custom_id="prompt:add", timeout=900)
        self.cog = cog
        decks = ", ".join(cog.service.decks)
        self.text: discord.ui.TextInput[AddPromptModal] = discord.ui.TextInput(
            label="Prompt",
            custom_id="text",
            style=discord.TextStyle.paragraph,
            placeholder="An open invitation, like: What is something you're looking forward to?",
            max_length=300,
        )
        self.deck: discord.ui.TextInput[AddPromptModal] = discord.ui.TextInput(
            label="Deck", custom_id="deck", default=CHECK_IN_DECK, placeholder=decks[:100], max_length=60
        )
        self.depth: discord.ui.TextInput[AddPromptModal] = discord.ui.TextInput(
            label="Depth: light, medium or deep", custom_id="depth", default=Depth.LIGHT.value, max_length=10
        )
        self.content_note: discord.ui.TextInput[AddPromptModal] = discord.ui.TextInput(
            label="Content note (optional)",
            custom_id="content_note",
            style=discord.TextStyle.paragraph,
            placeholder="Shown before the prompt, for prompts that touch loss or pain",
            required=False,
            max_length=200,
        )
        for item in (self.text, self.deck, self.depth, self.content_note):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.store_prompt(
            interaction, self.text.value, self.deck.value, self.depth.value, self.content_note.value
        )

    # discord.py's Modal.on_error takes two arguments where View's takes three; mypy sees the View's.
    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)


@app_commands.guild_only()
class PromptCog(commands.GroupCog, name="Prompts", group_name="prompt", group_description="Reflective prompts"):
    def __init__(self, bot: CircleBot, service: PromptService) -> None:
        self.bot = bot
        self.service = service
        self._restored = False
        super().__init__()

    async def cog_unload(self) -> None:
        self.service.disarm_all()

    # Anyone -------------------------------------------------------------------------------------------------

    @app_commands.command(name="draw", description="Draw a prompt for private reflection (only you see it)")
    @app_commands.describe(deck="Which deck to draw from (default: any)")
    async def draw(self, interaction: discord.Interaction, deck: str | None = None) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        try:
            if deck is None:
                prompt, chosen = await self.service.draw_any(interaction.guild_id)
            else:
                chosen = self.service.deck(deck)
                prompt = await self.service.draw(interaction.guild_id, chosen.id)
        except NoPromptAvailable:
            raise UserFacingError(texts.NO_PROMPT) from None
        await send_private(interaction, texts.draw_reply(prompt, chosen))

    @app_commands.command(name="decks", description="See the prompt decks and how many prompts each has")
    async def decks(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.MEMBER)
        assert interaction.guild_id is not None
        own = await self.service.repo.server_prompts(interaction.guild_id)
        rows = []
        for deck in self.service.decks.values():
            mine = sum(1 for p in own if p.deck == deck.id)
            rows.append((deck, len(deck.prompts) + mine, mine))
        depth = await self.service.repo.max_depth(interaction.guild_id)
        await send_private(interaction, texts.deck_lines(rows, depth))

    # Facilitators -------------------------------------------------------------------------------------------

    @app_commands.command(name="redraw", description="Give the current round of this channel's circle a new prompt")
    async def redraw(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        await interaction.response.defer(ephemeral=True, thinking=True)
        round_ = await self.service.redraw(interaction.channel_id or 0)
        await send_private(interaction, texts.redrawn_reply(round_))

    # Admins -------------------------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Add a prompt of your own for this server (admins)")
    async def add(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        await interaction.response.send_modal(AddPromptModal(self))

    async def store_prompt(
        self, interaction: discord.Interaction, text: str, deck: str, depth: str, content_note: str | None
    ) -> None:
        # Checked again: the form may be submitted long after it was opened.
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        try:
            deck_id = self.service.deck(deck).id
        except UserFacingError:
            deck_id = deck  # validate_server_prompt names the decks
        draft = validate_server_prompt(text, deck_id, depth, content_note, self.service.decks)
        prompt = await self.service.repo.add_server_prompt(interaction.guild_id, draft, self.bot.clock.now())
        max_depth = await self.service.repo.max_depth(interaction.guild_id)
        await send_private(interaction, texts.added_reply(prompt, self.service.decks[prompt.deck], max_depth))

    @app_commands.command(name="remove", description="Remove one of this server's own prompts (admins)")
    @app_commands.describe(prompt="The prompt to remove (start typing its words)")
    async def remove(self, interaction: discord.Interaction, prompt: str) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        found = await self.service.repo.server_prompt(interaction.guild_id, int(prompt)) if prompt.isdigit() else None
        if found is None or not await self.service.repo.remove_server_prompt(interaction.guild_id, found):
            raise UserFacingError(texts.NO_SERVER_PROMPT)
        await send_private(interaction, texts.removed_reply(found))

    @app_commands.command(name="depth", description="How deep this server's prompts may go (admins)")
    @app_commands.describe(level="light: everyday questions; medium: more personal; deep: the most personal")
    async def depth(self, interaction: discord.Interaction, level: Literal["light", "medium", "deep"]) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        await self.service.repo.set_max_depth(interaction.guild_id, Depth(level), self.bot.clock.now())
        await send_private(interaction, texts.depth_reply(Depth(level)))

    @app_commands.command(name="schedule", description="Post a prompt at a set local time (admins)")
    @app_commands.describe(
        channel="Where to post the prompt",
        when="daily HH:MM or weekly DAY HH:MM, in the server's time: e.g. daily 09:00 or weekly mon 19:30",
        deck="Which deck to draw from (default: Check-in)",
        thread="Open a thread on each post for replies (default: no)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        when: str,
        deck: str | None = None,
        thread: bool = False,
    ) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        chosen = self.service.deck(deck) if deck is not None else self.service.decks[CHECK_IN_DECK]
        target = self.bot.get_channel(channel.id)
        if not isinstance(target, discord.TextChannel):
            raise UserFacingError(texts.SCHEDULE_CHANNEL)
        reply = await self.service.add_schedule(target, when, chosen, thread)
        await send_private(interaction, reply)

    @app_commands.command(name="schedules", description="See this server's scheduled prompts (admins)")
    async def schedules(self, interaction: discord.Interaction) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        rows = await self.service.repo.schedules(interaction.guild_id)
        if not rows:
            await send_private(interaction, texts.NO_SCHEDULES)
            return
        tz = (await self.bot.store.guilds.get(interaction.guild_id)).timezone
        lines = [f"**Scheduled prompts** ({tz} time)"]
        for number, row in enumerate(rows, 1):
            deck = self.service.decks.get(row.deck) or self.service.decks[CHECK_IN_DECK]
            lines.append(
                texts.schedule_line(
                    number,
                    describe=row.recurrence.describe(),
                    channel_mention=f"<#{row.channel_id}>",
                    deck=deck,
                    thread=row.thread,
                    due=row.next_due,
                )
            )
        await send_private(interaction, "\n".join(lines))

    @app_commands.command(name="unschedule", description="Stop a scheduled prompt (admins)")
    @app_commands.describe(schedule="The schedule to stop")
    async def unschedule(self, interaction: discord.Interaction, schedule: str) -> None:
        await require(self.bot, interaction, Standing.ADMIN)
        assert interaction.guild_id is not None
        if not schedule.isdigit():
            raise UserFacingError(texts.NO_SCHEDULE)
        removed = await self.service.remove_schedule(interaction.guild_id, int(schedule))
        await send_private(
            interaction, texts.unscheduled_reply(removed.recurrence.describe(), f"<#{removed.channel_id}>")
        )

    # Autocomplete (answered within 3 seconds, at most 25 choices) ---------------------------------------------

    @draw.autocomplete("deck")
    @schedule.autocomplete("deck")
    async def _deck_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.service.deck_choices(current)

    @remove.autocomplete("prompt")
    async def _prompt_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        needle = current.strip().casefold()
        choices = []
        for prompt in await self.service.repo.server_prompts(interaction.guild_id):
            deck = self.service.decks.get(prompt.deck)
            label = f"{deck.name if deck else prompt.deck}: {prompt.text}"
            if needle in label.casefold():
                choices.append(app_commands.Choice(name=texts.short(label, 100), value=str(prompt.server_prompt_id)))
        return choices[:25]

    @unschedule.autocomplete("schedule")
    async def _schedule_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        needle = current.strip().casefold()
        choices = []
        for row in await self.service.repo.schedules(interaction.guild_id):
            channel: Any = self.bot.get_channel(row.channel_id)
            deck = self.service.decks.get(row.deck) or self.service.decks[CHECK_IN_DECK]
            label = texts.schedule_label(
                describe=row.recurrence.describe(),
                channel_name=channel.name if channel is not None else "deleted-channel",
                deck=deck,
            )
            if needle in label.casefold():
                choices.append(app_commands.Choice(name=label, value=str(row.id)))
        return choices[:25]

    # Gateway ------------------------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Posting needs the channels in the cache, so schedules come back once the servers have arrived; on_ready
        # fires again after reconnects, and once per process is enough.
        if not self._restored:
            self._restored = True
            await self.service.restore_schedules()
