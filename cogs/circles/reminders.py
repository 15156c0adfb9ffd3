"""A recurring circle's reminder DMs: once per session, spaced out, each recorded as soon as it is sent.

`/circle remind` opts a member in. An hour before a session the series claims its "reminded" flag (so the batch
starts once) and sends the DMs in the background, one a second (Discord refuses DMs opened too fast, 40003). Each
DM is recorded in `series_reminder_sends` right after it is sent or refused, so a stop in the middle of a batch
leaves the rest to the next start (`resume`), which sends only to those without a record: nothing is lost and
nothing is sent twice (a crash between a send and its record would repeat that one DM, never skip one).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.db.repos.series import Series, SeriesRepo
from bot.replies import QUIET
from cogs.circles import texts

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

DM_SPACING_SECONDS = 1.0
"""Between two reminder DMs: Discord refuses DMs opened too fast (40003)."""


class SeriesReminders:
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        # One batch per session at a time: a resume at start-up must not start a second one beside a fresh one.
        self._batches: dict[tuple[int, datetime], asyncio.Task[None]] = {}
        # With an injected clock (tests, replays) nothing waits for real time.
        self.dm_spacing = 0.0 if bot.scheduler.manual else DM_SPACING_SECONDS

    @property
    def repo(self) -> SeriesRepo:
        return self.bot.store.series

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    async def remind(self, series: Series, start: datetime) -> None:
        await self.repo.plan(series.id, series.guild_id, start)
        if not await self.repo.claim_flag(series.id, start, "reminded"):
            return
        users = await self.repo.reminder_users(series.id)
        if users:
            self._start_batch(series, start, users)

    def _start_batch(self, series: Series, start: datetime, users: list[int]) -> None:
        """Send in the background, spaced out, so a long list never holds up opening the circle; once per session."""
        key = (series.id, start)
        running = self._batches.get(key)
        if running is not None and not running.done():
            return
        task = asyncio.create_task(self._send_reminders(series, start, users), name="circles: series reminders")
        self._batches[key] = task
        task.add_done_callback(lambda _done: self._batches.pop(key, None))

    async def _send_reminders(self, series: Series, start: datetime, users: list[int]) -> None:
        """DM each member who asked, spaced out, recording each as soon as it is sent (or refused)."""
        text = texts.reminder_dm(series.name, series.channel_id, start)
        done = await self.repo.reminders_sent(series.id, start)
        todo = [u for u in users if u not in done]
        sent = 0
        for index, user_id in enumerate(todo):
            if index and self.dm_spacing:
                await asyncio.sleep(self.dm_spacing)
            if self.bot.scheduler.stopping or self.now >= start:
                log.info("circle series %s: %d reminders left for the next start", series.id, len(todo) - index)
                return
            try:
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                await user.send(text, allowed_mentions=QUIET)
                sent += 1
            except discord.Forbidden:
                log.debug("series reminder not sent: DMs closed")
            except discord.HTTPException as exc:
                log.info("series reminder not sent (%s)", exc.status)
                continue  # Discord failed, not the member: the next start may try again
            await self.repo.reminder_sent(series.id, series.guild_id, start, user_id)
        log.info("circle series %s: %d of %d reminders sent", series.id, sent, len(todo))

    async def resume(self, series: Series) -> None:
        """At start-up: a reminder batch a stop cut short goes on, to those who have not had theirs."""
        start = series.next_session
        session = await self.repo.session(series.id, start)
        if session is None or not session.reminded or self.now >= start:
            return
        users = await self.repo.reminder_users(series.id)
        if users and set(users) - await self.repo.reminders_sent(series.id, start):
            self._start_batch(series, start, users)
