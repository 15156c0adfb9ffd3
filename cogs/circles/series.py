"""Recurring circles: a series opens its own circle before each session, reminds, and lists it in Events.

The database is the source of truth (`bot/db/repos/series.py`); each series has one timer job, re-armed from the
database after every step and at start-up. Session times come from `bot.domain.recurrence` in the server's
timezone, so 19:00 stays 19:00 across daylight-saving changes (a time in a gap happens when the clocks jump, a
time in an overlap the first time it comes round).

A session's life (grace, missed while the bot was down, the reminder window, when to look again) is the
domain's, `bot.domain.series`; this module asks it what is due, claims that step in the database before acting
(`SeriesRepo.claim_*`, so nothing happens twice), and does it on Discord. Events are `cogs/circles/events.py`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.db.repos.series import Series, SeriesRepo, Session
from bot.domain import series as life
from bot.domain.circle import CircleSettings, Status
from bot.domain.recurrence import bind_anchor, local_time_issue, long_date, next_occurrence, parse_when
from bot.domain.refusal import Refusal
from bot.domain.series import DONE_WITHOUT_CIRCLE, MISSED_BY_BOT, OPENED, PLANNED, SKIPPED, SessionLife, Step
from bot.errors import UserFacingError
from bot.replies import QUIET
from cogs.circles import places, texts
from cogs.circles.actions import CircleActions
from cogs.circles.events import SeriesEvents
from cogs.circles.reminders import SeriesReminders

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

DEFAULT_DURATION_MINUTES = 60
JOB_PREFIX = "circle-series:"
_JUST_BEFORE = timedelta(microseconds=1)


def life_of(series: Series, session: Session | None) -> SessionLife:
    """The domain's view of the series' current session (planned, with nothing done, if it has no row yet)."""
    start = series.next_session
    opens = life.opens_at(start, series.open_minutes_before, series.created_at, series.id)
    if session is None:
        return SessionLife(start, opens, series.auto_start)
    return SessionLife(start, opens, series.auto_start, session.status, session.reminded, session.started)


class SeriesService:
    """Recurring circles: each series' timer, opening, starting and its Events (the circles cog holds it)."""

    def __init__(self, bot: CircleBot, circles: CircleActions, events: SeriesEvents) -> None:
        self.bot = bot
        self.circles = circles
        self.events = events
        self._locks: dict[int, asyncio.Lock] = {}
        self.reminders = SeriesReminders(bot)

    @property
    def repo(self) -> SeriesRepo:
        return self.bot.store.series

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    def _lock(self, series_id: int) -> asyncio.Lock:
        return self._locks.setdefault(series_id, asyncio.Lock())

    async def _tz(self, guild_id: int) -> str:
        return (await self.bot.store.guilds.get(guild_id)).timezone

    # Setting up ---------------------------------------------------------------------------------------------

    async def schedule(
        self,
        *,
        guild_id: int,
        user_id: int,
        channel: Any,
        name: str,
        when: str,
        settings: CircleSettings,
        duration_minutes: int,
        auto_start: bool,
        open_minutes_before: int,
    ) -> str:
        """Store a series and arm it; return the reply for the facilitator."""
        rec = parse_when(when, allow_daily=False, allow_multi_day=True, allow_interval=True)
        kind = places.check_open(channel, settings.enforcement, "open circles there")
        name = " ".join(name.split())[:100]
        if not name:
            raise UserFacingError(texts.NO_NAME)
        if await self.repo.count_active(guild_id) >= texts.MAX_SERIES:
            raise UserFacingError(texts.TOO_MANY)
        tz = await self._tz(guild_id)
        now = self.now
        rec = bind_anchor(rec, now=now, tz=tz)
        first = next_occurrence(rec, now, tz)
        series_id = await self.repo.add(
            guild_id=guild_id,
            channel_id=channel.id,
            name=name,
            recurrence=rec,
            settings=settings,
            duration_minutes=duration_minutes,
            auto_start=auto_start,
            open_minutes_before=open_minutes_before,
            next_session=first,
            created_by_user_id=user_id,
            now=now,
        )
        log.info("circle series %s added: %s in %s", series_id, rec.describe(), tz)
        series = await self.repo.get(series_id)
        assert series is not None
        missing_events = places.missing_for_events(channel, kind)
        await self.fire(series_id)
        lines = texts.scheduled_reply(
            series.name, rec.describe(), tz, series.channel_id, first, series.open_minutes_before, series.auto_start
        )
        note = local_time_issue(rec, tz, now)
        if note:
            lines.append(note)
        if missing_events:
            lines.append(texts.EVENT_PERMISSION_NOTE.format(missing=", ".join(missing_events)))
        return "\n".join(lines)

    # Finding a series ---------------------------------------------------------------------------------------

    async def find(self, guild_id: int, value: str) -> Series:
        """The active series an autocomplete value (its id) or a typed name points at; a kind error if none."""
        wanted = value.strip()
        found = await self.repo.active(guild_id)
        if wanted.isdigit():
            for series in found:
                if series.id == int(wanted):
                    return series
        for series in found:
            if series.name.casefold() == wanted.casefold():
                return series
        raise UserFacingError(texts.NO_SERIES)

    async def choices(self, guild_id: int, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: this server's series whose name holds what was typed (at most 25)."""
        needle = current.strip().casefold()
        return [
            app_commands.Choice(name=f"{s.name} · {s.recurrence.describe()}"[:100], value=str(s.id))
            for s in await self.repo.active(guild_id)
            if needle in s.name.casefold()
        ][:25]

    async def upcoming(self, series: Series, tz: str, count: int) -> list[tuple[datetime, str]]:
        """The next `count` sessions from the series' current one, with their status (planned if not recorded)."""
        known = {s.starts_at: s.status for s in await self.repo.sessions_from(series.id, series.next_session)}
        found: list[tuple[datetime, str]] = []
        after = series.next_session - _JUST_BEFORE
        while len(found) < count:
            moment = next_occurrence(series.recurrence, after, tz)
            found.append((moment, known.get(moment, PLANNED)))
            after = moment
        return found

    async def date_choices(self, guild_id: int, series_value: str, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete for `skip-session date`: the series' coming sessions that can still be skipped."""
        try:
            series = await self.find(guild_id, series_value or "")
        except UserFacingError:
            return []
        tz = await self._tz(guild_id)
        zone = ZoneInfo(tz)
        choices = []
        for moment, status in await self.upcoming(series, tz, 12):
            if status != PLANNED:
                continue
            local = moment.astimezone(zone)
            label = f"{long_date(local)}, {local:%H:%M}"
            if current.strip().casefold() in label.casefold() or current.strip() in local.date().isoformat():
                choices.append(app_commands.Choice(name=label, value=local.date().isoformat()))
        return choices[:25]

    # The commands' work -------------------------------------------------------------------------------------

    async def list_text(self, guild_id: int, user_id: int) -> str:
        found = await self.repo.active(guild_id)
        if not found:
            return texts.NONE_YET
        tz = await self._tz(guild_id)
        lines = [texts.series_list_head(tz)]
        for series in found:
            line = texts.series_line(series.name, series.recurrence.describe(), series.channel_id)
            coming = life.next_to_come(await self.upcoming(series, tz, 8))
            if coming is not None:
                moment, status = coming
                line += texts.next_session(moment, open_now=status == OPENED)
            if series.auto_start:
                line += texts.STARTS_BY_ITSELF
            if user_id in await self.repo.reminder_users(series.id):
                line += texts.YOU_GET_A_REMINDER
            lines.append(line)
        return "\n".join(lines)[:2000]

    async def skip(self, guild_id: int, series_value: str, day: str | None) -> str:
        series = await self.find(guild_id, series_value)
        tz = await self._tz(guild_id)
        zone = ZoneInfo(tz)
        sessions = await self.upcoming(series, tz, 60)
        if day is None or not day.strip():
            target = life.next_to_come(sessions)
        else:
            try:
                wanted = date.fromisoformat(day.strip())
            except ValueError:
                raise UserFacingError(texts.BAD_DATE) from None
            target = next(((m, st) for m, st in sessions if m.astimezone(zone).date() == wanted), None)
            if target is None:
                raise UserFacingError(texts.no_session_on(series.name, wanted.isoformat()))
        if target is None:
            raise UserFacingError(texts.NO_SERIES)
        moment, status = target
        day_words = long_date(moment.astimezone(zone))
        if status == OPENED:
            raise UserFacingError(texts.ALREADY_OPEN_SESSION)
        if status in DONE_WITHOUT_CIRCLE:
            return texts.session_already_off(series.name, day_words)
        async with self._lock(series.id):
            if not await self.repo.claim_status(series.id, series.guild_id, moment, SKIPPED):
                raise UserFacingError(texts.ALREADY_OPEN_SESSION)
            session = await self.repo.session(series.id, moment)
            if session is not None:
                await self.events.cancel(session)
        await self.fire(series.id)
        log.info("circle series %s: session at %s skipped", series.id, moment.isoformat())
        return texts.session_skipped(series.name, day_words)

    async def unschedule(self, guild_id: int, series_value: str) -> str:
        series = await self.find(guild_id, series_value)
        async with self._lock(series.id):
            if not await self.repo.end(guild_id, series.id, self.now):
                raise UserFacingError(texts.NO_SERIES)
            self.bot.scheduler.cancel(f"{JOB_PREFIX}{series.id}")
            for session in await self.repo.cancel_planned(series.id):
                await self.events.cancel(session)
        log.info("circle series %s unscheduled", series.id)
        return texts.unscheduled(series.name)

    async def remind(self, guild_id: int, series_value: str, user_id: int, on: bool) -> str:
        series = await self.find(guild_id, series_value)
        await self.repo.set_reminder(series.id, guild_id, user_id, on, self.now)
        return texts.reminders_on(series.name) if on else texts.reminders_off(series.name)

    # The timeline -------------------------------------------------------------------------------------------

    async def restore_all(self, guilds: Callable[[int], bool] | None = None) -> int:
        """At start-up: catch every series up (the downtime rule), re-arm it, and put Events right."""
        found = [s for s in await self.repo.active() if guilds is None or guilds(s.guild_id)]
        for series in found:
            try:
                await self.fire(series.id)
                fresh = await self.repo.get(series.id)
                if fresh is not None and fresh.ended_at is None:
                    await self.reminders.resume(fresh)
            except Exception:  # one series that can't come back must not keep the others from it
                log.warning("circle series %s: could not be restored", series.id, exc_info=True)
        await self.events.restore_all(guilds)
        return len(found)

    async def fire(self, series_id: int) -> None:
        """A series' moment came (or something changed): take every step that is due, then arm the next one."""
        async with self._lock(series_id):
            await self._tick(series_id)

    async def _tick(self, series_id: int) -> None:
        series = await self.repo.get(series_id)
        if series is None or series.ended_at is not None:
            self.bot.scheduler.cancel(f"{JOB_PREFIX}{series_id}")
            return
        tz = await self._tz(series.guild_id)
        now = self.now
        # Each pass deals with the current session; it moves on only once nothing is left to do for it.
        while True:
            start = series.next_session
            session = await self.repo.session(series.id, start)
            current = life_of(series, session)
            step = life.next_step(current, now)
            if step is Step.REMIND:
                await self.reminders.remind(series, start)
                current = replace(current, reminded=True)
                step = life.next_step(current, now)
            if step is Step.WAIT:
                break
            if step is Step.MOVE_ON:
                following = next_occurrence(series.recurrence, start, tz)
                if not await self.repo.claim_next(series.id, start, following):
                    return  # unscheduled meanwhile
                await self.repo.forget_reminders_before(series.id, start)
                series = replace(series, next_session=following)
            elif step is Step.MISS:
                if await self.repo.claim_status(series.id, series.guild_id, start, MISSED_BY_BOT):
                    log.info("circle series %s: the session at %s fell into downtime", series.id, start)
                    missed = await self.repo.session(series.id, start)
                    if missed is not None:
                        await self.events.cancel(missed)
            elif step is Step.OPEN:
                if await self.repo.claim_status(series.id, series.guild_id, start, OPENED):
                    await self._open(series, start)
            else:  # START, or LEAVE_FOR_FACILITATOR when it is too late to start by itself
                claimed = await self.repo.claim_flag(series.id, start, "started")
                if claimed and step is Step.START:
                    assert session is not None
                    await self._auto_start(series, session)
        await self.events.ensure(series, now, tz)
        self.bot.scheduler.schedule(
            f"{JOB_PREFIX}{series.id}", life.next_wake(current, now, series.recurrence, tz), self.fire, series.id
        )

    # Opening and starting -----------------------------------------------------------------------------------

    async def _open(self, series: Series, start: datetime) -> None:
        channel: Any = self.bot.get_channel(series.channel_id)
        try:
            if channel is None:
                raise UserFacingError(texts.SERIES_CHANNEL_GONE)
            circle_id = await self.circles.open(
                None, channel, series.settings, opened_by=series.created_by_user_id, series_id=series.id
            )
        except (UserFacingError, Refusal) as exc:
            # The session didn't happen through nobody's fault: void for streaks, and the facilitator hears why.
            await self.repo.claim_status(series.id, series.guild_id, start, MISSED_BY_BOT, from_status=OPENED)
            session = await self.repo.session(series.id, start)
            if session is not None:
                await self.events.cancel(session)
            log.info("circle series %s: could not open the session at %s", series.id, start)
            await self._tell_facilitator(series, texts.could_not_open(series.name, exc.message))
            return
        await self.repo.set_circle(series.id, start, circle_id)
        log.info("circle series %s: opened circle %s for the session at %s", series.id, circle_id, start)
        try:
            await channel.send(texts.opening_line(series.name, start, self.now), allowed_mentions=QUIET)
        except discord.HTTPException as exc:
            log.info("circle series %s: no opening line (%s)", series.id, exc.status)

    async def _auto_start(self, series: Series, session: Session) -> None:
        if session.circle_id is None:
            return
        loaded = await self.circles.shell.load(session.circle_id)
        if loaded is None or loaded.state.status != Status.GATHERING:
            return  # a facilitator started (or ended) it already
        try:
            await self.circles.start(None, loaded)
        except (UserFacingError, Refusal) as exc:  # say nobody joined: the rules refuse to start an empty circle
            await self._tell_facilitator(series, texts.could_not_start(series.name, series.channel_id, exc.message))

    async def _tell_facilitator(self, series: Series, text: str) -> None:
        if series.created_by_user_id is None:
            log.info("circle series %s: nobody to tell about a problem", series.id)
            return
        try:
            user = self.bot.get_user(series.created_by_user_id) or await self.bot.fetch_user(series.created_by_user_id)
            await user.send(text, allowed_mentions=QUIET)
        except discord.HTTPException:
            log.info("circle series %s: could not reach its facilitator", series.id)
