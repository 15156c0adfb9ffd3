"""The prompts feature's shell: draw prompts for a server, a circle's rounds and schedules, and post them.

Selection rules live in `bot.domain.prompts` (no repeat until a deck is used up, the server's depth limit,
server prompts mixed in) and schedule times in `bot.domain.recurrence`; this module loads and saves what they
need and talks to Discord.

One rotation per server: circles, `/prompt draw` and scheduled posts all draw from the same per-server record of
what was used, so a member who draws privately meets each prompt of a deck once before any repeats, without
the bot keeping anything about that member.

Schedules: the database is the source of truth. `next_due` (UTC) is moved on before a post is made, so a moment
is never posted twice (also across restarts). At start-up a `next_due` in the past means posts were missed while
the bot was down: only the latest of them is posted, and only within `GRACE` of its time (see
`bot.domain.recurrence.catch_up`). Times are the server's local wall time; a time in a daylight-saving gap posts
once at the moment the clocks jump, a time in an overlap posts once, the first time it comes round.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.db.repos.prompts import PromptRepo, PromptSchedule
from bot.domain.circle import CircleState
from bot.domain.prompts import (
    CHECK_IN_DECK,
    Deck,
    NoPromptAvailable,
    Prompt,
    candidates_for,
    default_decks_for_rounds,
    pick_prompt,
)
from bot.domain.recurrence import (
    Recurrence,
    catch_up,
    local_time_issue,
    next_occurrence,
    parse_when,
)
from bot.errors import UserFacingError
from bot.permissions import REQUIRED_PERMISSIONS, missing_in
from bot.replies import QUIET
from cogs.prompts import texts

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
GRACE = timedelta(minutes=15)
"""A scheduled post missed while the bot was down is still made if it is at most this late."""
MAX_SCHEDULES = 25  # what one autocomplete list can show
JOB_PREFIX = "prompt-schedule:"


class PromptService:
    """What other features use: `prompt_for_round` and `render` (other features reach it as `bot.features.prompts`)."""

    def __init__(self, bot: CircleBot, decks: dict[str, Deck], rng: random.Random) -> None:
        self.bot = bot
        self.decks = decks
        self.rng = rng
        self._shipped = {p.key: p for deck in decks.values() for p in deck.prompts}
        self._circle_locks: dict[int, asyncio.Lock] = {}

    @property
    def repo(self) -> PromptRepo:
        return self.bot.store.prompts

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    def _lock(self, circle_id: int) -> asyncio.Lock:
        """Two redraws of one circle take turns (always taken before the database's lock, never inside it)."""
        return self._circle_locks.setdefault(circle_id, asyncio.Lock())

    # Prompts ------------------------------------------------------------------------------------------------

    @staticmethod
    def render(prompt: Prompt) -> str:
        """The prompt as posted: the content note first (deep prompts on loss carry one), then the text."""
        return texts.render(prompt)

    def deck(self, name: str) -> Deck:
        """The deck with this id (or, forgivingly, this display name); a kind error if there is none."""
        wanted = name.strip().casefold()
        for deck in self.decks.values():
            if wanted in (deck.id, deck.name.casefold()):
                return deck
        raise UserFacingError(texts.unknown_deck(name, self.decks))

    def deck_choices(self, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete for a deck option: the decks whose id or name holds what was typed (at most 25)."""
        needle = current.strip().casefold()
        return [
            app_commands.Choice(name=deck.name, value=deck.id)
            for deck in self.decks.values()
            if needle in deck.id or needle in deck.name.casefold()
        ][:25]

    async def resolve(self, guild_id: int, key: str) -> Prompt | None:
        """The prompt with this key: a shipped one, or this server's own (None if it was removed)."""
        if key.startswith("server:"):
            number = key.removeprefix("server:")
            return await self.repo.server_prompt(guild_id, int(number)) if number.isdigit() else None
        return self._shipped.get(key)

    async def draw(self, guild_id: int, deck_id: str, *, exclude: str | None = None) -> Prompt:
        """Draw the server's next prompt from a deck and remember it; raises `NoPromptAvailable`."""
        deck = self.decks[deck_id]
        async with self.bot.db.transaction():
            used = await self.repo.used(guild_id)
            depth = await self.repo.max_depth(guild_id)
            own = await self.repo.server_prompts(guild_id)
            prompt, after = pick_prompt(candidates_for(deck, own, depth), used, depth, self.rng, exclude=exclude)
            await self.repo.replace_used(guild_id, used, after, self.now)
        return prompt

    async def draw_any(self, guild_id: int) -> tuple[Prompt, Deck]:
        """A prompt from a deck chosen at random, for a member who did not pick one."""
        deck = self.decks[self.rng.choice(sorted(self.decks))]
        return await self.draw(guild_id, deck.id), deck

    # Circles ------------------------------------------------------------------------------------------------

    def deck_for_round(self, round_: int, rounds: int, chosen: str | None) -> str:
        if chosen is not None:
            if chosen in self.decks:
                return chosen
            log.warning("unknown prompt deck %r asked for a circle round; using the usual one", chosen)
        defaults = default_decks_for_rounds(max(rounds, 1), None)
        return defaults[min(round_, len(defaults)) - 1]

    async def prompt_for_round(
        self, circle_id: int, guild_id: int, round: int, rounds: int, deck: str | None
    ) -> Prompt | None:
        """The prompt that opens this round: drawn once and recorded, the same one when asked again.

        `deck` is the deck chosen at `/circle open`; without it round 1 uses check-in, the last round (of two or
        more) closing, rounds between connection. None when no prompt is available (nothing at the server's
        depth), so the round opens without one.
        """
        if round < 1:
            return None
        deck_id = self.deck_for_round(round, rounds, deck)
        # One transaction makes "recorded already, or draw and record" atomic. No circle lock here: a caller may
        # already be inside a transaction, and `redraw` takes the circle lock before the database's.
        async with self.bot.db.transaction():
            recorded = await self.repo.round_prompt(circle_id, round)
            if recorded is not None:
                prompt = await self.resolve(guild_id, recorded.prompt_key)
                if prompt is not None:
                    return prompt
                deck_id = recorded.deck if recorded.deck in self.decks else deck_id
            try:
                prompt = await self.draw(guild_id, deck_id)
            except NoPromptAvailable:
                log.warning("circle %s round %s: no prompt available in deck %s", circle_id, round, deck_id)
                return None
            await self.repo.set_round_prompt(circle_id, round, guild_id, deck_id, prompt.key, self.now)
        return prompt

    async def redraw(self, channel_id: int) -> int:
        """Post a different prompt for the current round of the channel's circle and record it; return the round.

        Before the circle starts, the prompt is the one round 1 will open with. Other features hear of it as the
        `prompt_redrawn(circle_id, round, prompt)` event.
        """
        row = await self.bot.store.circles.active_in_channel(channel_id)
        if row is None:
            raise UserFacingError(texts.NO_CIRCLE)
        state = CircleState.from_json(row.state)
        round_, rounds = max(state.round, 1), state.settings.rounds
        async with self._lock(row.id):
            recorded = await self.repo.round_prompt(row.id, round_)
            if recorded is not None and recorded.deck in self.decks:
                deck_id = recorded.deck
            else:
                deck_id = self.deck_for_round(round_, rounds, None)
            try:
                prompt = await self.draw(row.guild_id, deck_id, exclude=recorded.prompt_key if recorded else None)
            except NoPromptAvailable:
                raise UserFacingError(texts.NO_PROMPT) from None
            channel = self.bot.get_channel(row.channel_id)
            if channel is None or not isinstance(channel, discord.abc.Messageable):
                raise UserFacingError("I can't see this circle's channel any more.")
            try:
                await channel.send(texts.redrawn_post(prompt, round_, rounds), allowed_mentions=QUIET)
            except discord.Forbidden:
                raise UserFacingError(texts.permission_missing(f"<#{row.channel_id}>", ["Send Messages"])) from None
            except discord.HTTPException:
                raise UserFacingError("Discord didn't let me post just now. Please try again in a moment.") from None
            await self.repo.set_round_prompt(row.id, round_, row.guild_id, deck_id, prompt.key, self.now)
        self.bot.dispatch("prompt_redrawn", row.id, round_, prompt)
        return round_

    # Schedules ----------------------------------------------------------------------------------------------

    @staticmethod
    def parse_when(text: str) -> Recurrence:
        """A prompt schedule: one day a week, or daily; what can't be read is refused kindly (a `Refusal`)."""
        return parse_when(text, allow_daily=True, allow_multi_day=False, allow_interval=False)

    @staticmethod
    def missing_permissions(channel: discord.TextChannel, thread: bool) -> list[str]:
        """Discord's names for the permissions the bot lacks to post (and open a thread) in the channel."""
        flags = {"view_channel", "send_messages"}
        if thread:
            flags |= {"create_public_threads", "send_messages_in_threads"}
        needs = [need for need in REQUIRED_PERMISSIONS if need.flag in flags]
        return [need.words for need in missing_in(channel.permissions_for(channel.guild.me), needs)]

    async def add_schedule(self, channel: discord.TextChannel, when: str, deck: Deck, thread: bool) -> str:
        """Store a schedule and arm its first post; return the reply for the admin."""
        rec = self.parse_when(when)
        guild_id = channel.guild.id
        if await self.repo.count_schedules(guild_id) >= MAX_SCHEDULES:
            raise UserFacingError(texts.TOO_MANY_SCHEDULES.format(limit=MAX_SCHEDULES))
        missing = self.missing_permissions(channel, thread)
        if missing:
            raise UserFacingError(texts.permission_missing(channel.mention, missing))
        tz = (await self.bot.store.guilds.get(guild_id)).timezone
        now = self.now
        first = next_occurrence(rec, now, tz)
        schedule_id = await self.repo.add_schedule(
            guild_id=guild_id,
            channel_id=channel.id,
            recurrence=rec,
            deck=deck.id,
            thread=thread,
            next_due=first,
            now=now,
        )
        self._arm(schedule_id, first)
        log.info("prompt schedule %s added: %s in %s", schedule_id, rec.describe(), tz)
        return texts.scheduled_reply(
            describe=rec.describe(),
            tz=tz,
            channel_mention=channel.mention,
            deck=deck,
            thread=thread,
            first=first,
            note=local_time_issue(rec, tz, now),
        )

    async def remove_schedule(self, guild_id: int, schedule_id: int) -> PromptSchedule:
        found = await self.repo.schedule(schedule_id)
        if found is None or found.guild_id != guild_id or not await self.repo.remove_schedule(guild_id, schedule_id):
            raise UserFacingError(texts.NO_SCHEDULE)
        self.bot.scheduler.cancel(f"{JOB_PREFIX}{schedule_id}")
        return found

    def _arm(self, schedule_id: int, when: datetime) -> None:
        self.bot.scheduler.schedule(f"{JOB_PREFIX}{schedule_id}", when, self.fire, schedule_id)

    def disarm_all(self) -> None:
        for job_id in self.bot.scheduler.job_ids():
            if job_id.startswith(JOB_PREFIX):
                self.bot.scheduler.cancel(job_id)

    async def restore_schedules(self) -> int:
        """At start-up: post what is due within the grace window, then arm every schedule's next post."""
        rows = await self.repo.schedules()
        for row in rows:
            if row.next_due > self.now:
                self._arm(row.id, row.next_due)
            else:
                await self.fire(row.id)
        return len(rows)

    async def fire(self, schedule_id: int) -> None:
        """A schedule's moment came (or start-up found it past): post at most once, then arm the next."""
        row = await self.repo.schedule(schedule_id)
        if row is None:
            return  # unscheduled meanwhile
        tz = (await self.bot.store.guilds.get(row.guild_id)).timezone
        now = self.now
        decision = catch_up(row.recurrence, row.next_due, now, tz, GRACE)
        if decision.next_due == row.next_due:
            self._arm(row.id, row.next_due)  # not due yet
            return
        posted_at = now if decision.post is not None else None
        if not await self.repo.claim_due(row.id, row.next_due, decision.next_due, posted_at):
            return  # another run already moved this schedule on (and posted, if it was time)
        self._arm(row.id, decision.next_due)
        if decision.skipped:
            log.info("prompt schedule %s: %d post(s) missed while away were left out", row.id, decision.skipped)
        if decision.post is not None:
            await self._post(row, decision.post.astimezone(ZoneInfo(tz)))

    async def _post(self, row: PromptSchedule, local: datetime) -> None:
        channel = self.bot.get_channel(row.channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.info("prompt schedule %s: its channel is gone; nothing posted", row.id)
            return
        deck = self.decks.get(row.deck) or self.decks[CHECK_IN_DECK]
        try:
            prompt = await self.draw(row.guild_id, deck.id)
        except NoPromptAvailable:
            log.warning("prompt schedule %s: no prompt available in deck %s", row.id, deck.id)
            return
        text = texts.scheduled_post(prompt, deck, daily=row.recurrence.is_daily, thread=row.thread)
        try:
            message = await channel.send(text, allowed_mentions=QUIET)
        except discord.HTTPException as exc:
            log.warning("prompt schedule %s: Discord refused the post (%s %s)", row.id, exc.status, exc.code)
            return
        if not row.thread:
            return
        try:
            thread = await message.create_thread(name=texts.thread_name(local), auto_archive_duration=1440)
            await thread.send(texts.THREAD_INVITE, allowed_mentions=QUIET)
        except discord.HTTPException as exc:
            log.warning("prompt schedule %s: no thread for replies (%s %s)", row.id, exc.status, exc.code)
