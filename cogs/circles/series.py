"""Recurring circles: a series opens its own circle before each session, reminds, and lists it in Events.

The database is the source of truth (`bot/db/repos/series.py`); each series has one timer job, re-armed from the
database after every step and at start-up. Session times come from `bot.domain.recurrence` in the server's
timezone, so 19:00 stays 19:00 across daylight-saving changes (a time in a gap happens when the clocks jump, a
time in an overlap the first time it comes round).

A session's life, for a session starting at S:

- from S - 7 days (or when the series is set up): a Discord Scheduled Event, one per session (Discord's own
  recurrence allows one weekday only, and discord.py cannot send it);
- S - 1 hour: a DM to each member who asked (`/circle remind`), spaced out; closed DMs are skipped quietly;
- S - `open_minutes_before`: the circle opens and its card is posted; with `auto_start` it starts at S;
- the Event turns active when the circle starts and completed when it ends (Discord does neither by itself for
  voice and stage events).

Every step is claimed in the database before the bot acts (`SeriesRepo.claim_*`), so nothing happens twice. After
downtime a session whose opening time passed at most `GRACE` ago opens at once; an older one is recorded as
`missed_by_bot`, which never counts against members' streaks.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.db.repos.series import (
    DONE_WITHOUT_CIRCLE,
    EVENT_ACTIVE,
    EVENT_CANCELLED,
    EVENT_COMPLETED,
    EVENT_SCHEDULED,
    MISSED_BY_BOT,
    OPENED,
    PLANNED,
    SKIPPED,
    Series,
    SeriesRepo,
    Session,
)
from bot.domain import circle as rules
from bot.domain.circle import CircleSettings, Enforcement, Status, Transition
from bot.domain.recurrence import (
    WhenParseError,
    bind_anchor,
    local_time_issue,
    long_date,
    next_occurrence,
    occurrences_between,
    parse_when,
)
from bot.errors import UserFacingError
from bot.replies import QUIET
from cogs.circles import texts
from cogs.circles.service import CircleService, channel_kind

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

GRACE = timedelta(minutes=15)
"""A session whose opening time passed while the bot was down still opens if it is at most this late."""
EVENT_LEAD = timedelta(days=7)
REMIND_BEFORE = timedelta(hours=1)
MAX_SERIES = 25  # what one autocomplete list can show
DEFAULT_DURATION_MINUTES = 60
DM_SPACING_SECONDS = 1.0
"""Between two reminder DMs: Discord refuses DMs opened too fast (40003)."""
JOB_PREFIX = "circle-series:"
_JUST_BEFORE = timedelta(microseconds=1)

# What the series says, warm, short and plain --------------------------------------------------------------

NO_SERIES = "I couldn't find that recurring circle. Pick one from the list as you type, or see `/circle schedules`."
NONE_YET = "There are no recurring circles here yet. A facilitator can set one up with `/circle schedule`."
TOO_MANY = f"This server already has {MAX_SERIES} recurring circles, which is as many as I can keep. " + (
    "Unschedule one with `/circle unschedule` first."
)
ALREADY_OPEN_SESSION = (
    "That session's circle is already open. If it isn't going ahead, end it with `/circle end` in its channel."
)
EVENT_PERMISSION_NOTE = (
    "I couldn't add the sessions to the server's Events because I'm missing **{missing}**. "
    "Everything else works: the circle still opens by itself. A server admin can grant it, and the next "
    "sessions will appear in Events."
)


def _stamp(moment: datetime, style: str = "F") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def _scheduled_reply(series: Series, tz: str, first: datetime, note: str | None, event_problem: str | None) -> str:
    lines = [
        f"🗓️ **{series.name}** is set: {series.recurrence.describe()} ({tz} time) in <#{series.channel_id}>.",
        f"The first session is {_stamp(first)}. I'll open the circle "
        + (f"{series.open_minutes_before} minutes before" if series.open_minutes_before else "at the start time")
        + (" and start it on time." if series.auto_start else "; you start it with `/circle start` as usual."),
        "Members can ask for a reminder an hour before with `/circle remind`.",
    ]
    if note:
        lines.append(note)
    if event_problem:
        lines.append(event_problem)
    return "\n".join(lines)


def _reminder_dm(series: Series, starts_at: datetime) -> str:
    return (
        f"🔔 A gentle reminder: **{series.name}** starts {_stamp(starts_at, 'R')} ({_stamp(starts_at, 't')}) "
        f"in <#{series.channel_id}>. Come as you are; it's always okay to just listen or pass.\n"
        "You asked for these reminders; `/circle remind` turns them off."
    )


def _opening_line(series: Series, starts_at: datetime, now: datetime) -> str:
    when = f"starts {_stamp(starts_at, 'R')}" if starts_at > now else "is starting now"
    return f"🗓️ This is **{series.name}**, which {when}. Press **Join** on the card to take part."


def _event_description(series: Series) -> str:
    return f"{series.recurrence.describe().capitalize()}. A talking-stick circle: come as you are; passing is okay."


class SeriesService:
    """Recurring circles (reach it as `bot.get_cog("Circles").series`)."""

    def __init__(self, bot: CircleBot, circles: CircleService) -> None:
        self.bot = bot
        self.circles = circles
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # With an injected clock (tests, replays) nothing waits for real time.
        self.dm_spacing = 0.0 if bot.scheduler.manual else DM_SPACING_SECONDS

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

    @staticmethod
    def _missing_to_open(channel: Any, kind: str) -> list[str]:
        perms = channel.permissions_for(channel.guild.me)
        needs = [("view_channel", "View Channel"), ("send_messages", "Send Messages"), ("embed_links", "Embed Links")]
        if kind == "thread":
            needs.append(("send_messages_in_threads", "Send Messages in Threads"))
        return [words for flag, words in needs if not getattr(perms, flag)]

    @staticmethod
    def _missing_for_events(channel: Any, kind: str) -> list[str]:
        """Discord's names for what the bot lacks to create this channel's Events (see the stand-in's rule)."""
        perms = channel.permissions_for(channel.guild.me)
        if perms.administrator:
            return []
        needs = [("create_events", "Create Events")]
        if kind == "stage":
            needs += [("manage_channels", "Manage Channels"), ("mute_members", "Mute Members")]
            needs.append(("move_members", "Move Members"))
        elif kind == "voice":
            needs += [("view_channel", "View Channel"), ("connect", "Connect")]
        return [words for flag, words in needs if not getattr(perms, flag)]

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
        try:
            rec = parse_when(when, allow_daily=False, allow_multi_day=True, allow_interval=True)
        except WhenParseError as exc:
            raise UserFacingError(exc.message) from None
        kind = channel_kind(channel)
        if kind is None:
            raise UserFacingError(texts.NOT_A_CIRCLE_CHANNEL)
        if kind == "thread" and settings.enforcement == Enforcement.STRICT:
            raise UserFacingError(texts.THREAD_STRICT)
        missing = self._missing_to_open(channel, kind)
        if missing:
            raise UserFacingError(texts.permission_problem("open circles there", ", ".join(missing)))
        name = " ".join(name.split())[:100]
        if not name:
            raise UserFacingError("Please give the circle a name, like “Grief circle”.")
        if await self.repo.count_active(guild_id) >= MAX_SERIES:
            raise UserFacingError(TOO_MANY)
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
        missing_events = self._missing_for_events(channel, kind)
        await self.fire(series_id)
        problem = EVENT_PERMISSION_NOTE.format(missing=", ".join(missing_events)) if missing_events else None
        return _scheduled_reply(series, tz, first, local_time_issue(rec, tz, now), problem)

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
        raise UserFacingError(NO_SERIES)

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
            return NONE_YET
        tz = await self._tz(guild_id)
        lines = [f"**Recurring circles** (times in {tz}):"]
        for series in found:
            nxt = next(((m, st) for m, st in await self.upcoming(series, tz, 8) if st not in DONE_WITHOUT_CIRCLE), None)
            line = f"• **{series.name}**: {series.recurrence.describe()} in <#{series.channel_id}>"
            if nxt is not None:
                moment, status = nxt
                state = " (open now)" if status == OPENED else ""
                line += f". Next: {_stamp(moment)} ({_stamp(moment, 'R')}){state}"
            if series.auto_start:
                line += " · starts by itself"
            if user_id in await self.repo.reminder_users(series.id):
                line += " · 🔔 you get a reminder"
            lines.append(line)
        return "\n".join(lines)[:2000]

    async def skip(self, guild_id: int, series_value: str, day: str | None) -> str:
        series = await self.find(guild_id, series_value)
        tz = await self._tz(guild_id)
        zone = ZoneInfo(tz)
        sessions = await self.upcoming(series, tz, 60)
        if day is None or not day.strip():
            target = next(((m, st) for m, st in sessions if st not in DONE_WITHOUT_CIRCLE), None)
        else:
            try:
                wanted = date.fromisoformat(day.strip())
            except ValueError:
                raise UserFacingError(
                    "I couldn't read that date. Pick one from the list, or type it like `2026-03-17`."
                ) from None
            target = next(((m, st) for m, st in sessions if m.astimezone(zone).date() == wanted), None)
            if target is None:
                raise UserFacingError(
                    f"**{series.name}** has no session coming up on {wanted.isoformat()}. "
                    "Pick a date from the list as you type."
                )
        if target is None:
            raise UserFacingError(NO_SERIES)
        moment, status = target
        if status == OPENED:
            raise UserFacingError(ALREADY_OPEN_SESSION)
        if status in DONE_WITHOUT_CIRCLE:
            return f"The {series.name} session on {long_date(moment.astimezone(zone))} is already off. Nothing to do."
        async with self._lock(series.id):
            if not await self.repo.claim_status(series.id, series.guild_id, moment, SKIPPED):
                raise UserFacingError(ALREADY_OPEN_SESSION)
            session = await self.repo.session(series.id, moment)
            if session is not None:
                await self._cancel_event(session)
        await self.fire(series.id)
        log.info("circle series %s: session at %s skipped", series.id, moment.isoformat())
        return (
            f"The **{series.name}** session on {long_date(moment.astimezone(zone))} is skipped, and its event is "
            "cancelled. It doesn't count against anyone's streak."
        )

    async def unschedule(self, guild_id: int, series_value: str) -> str:
        series = await self.find(guild_id, series_value)
        async with self._lock(series.id):
            if not await self.repo.end(guild_id, series.id, self.now):
                raise UserFacingError(NO_SERIES)
            self.bot.scheduler.cancel(f"{JOB_PREFIX}{series.id}")
            for session in await self.repo.cancel_planned(series.id):
                await self._cancel_event(session)
        log.info("circle series %s unscheduled", series.id)
        return (
            f"**{series.name}** is unscheduled: no more sessions will open, and its coming events are cancelled. "
            "A circle that is open right now carries on. Thank you for holding this space."
        )

    async def remind(self, guild_id: int, series_value: str, user_id: int, on: bool) -> str:
        series = await self.find(guild_id, series_value)
        await self.repo.set_reminder(series.id, guild_id, user_id, on, self.now)
        if on:
            return (
                f"🔔 I'll send you a DM an hour before each **{series.name}** session. "
                "If your DMs from this server are closed, I won't be able to reach you. "
                "Turn it off any time with `/circle remind` and `state: off`."
            )
        return f"Reminders for **{series.name}** are off. You're always welcome to come."

    # The timeline -------------------------------------------------------------------------------------------

    def _arm(self, series_id: int, when: datetime) -> None:
        self.bot.scheduler.schedule(f"{JOB_PREFIX}{series_id}", when, self.fire, series_id)

    async def restore_all(self) -> int:
        """At start-up: catch every series up (the downtime rule), re-arm it, and put Events right."""
        found = await self.repo.active()
        for series in found:
            await self.fire(series.id)
        for session in await self.repo.sessions_with_live_events():
            assert session.circle_id is not None
            loaded = await self.circles.load(session.circle_id)
            if loaded is None:
                continue
            status = loaded.state.status
            if status == Status.ENDED:
                await self._set_event_status(session, None)
            elif status in (Status.RUNNING, Status.PAUSED) and session.event_status == EVENT_SCHEDULED:
                await self._set_event_status(session, EVENT_ACTIVE)
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
        session: Session | None = None
        # Each pass deals with the current session; it moves on only once nothing is left to do for it.
        while True:
            start = series.next_session
            session = await self.repo.session(series.id, start)
            status = session.status if session is not None else PLANNED
            started = session.started if session is not None else False
            if status in DONE_WITHOUT_CIRCLE or (status == OPENED and (not series.auto_start or started)):
                following = next_occurrence(series.recurrence, start, tz)
                if not await self.repo.claim_next(series.id, start, following):
                    return  # unscheduled meanwhile
                series = replace(series, next_session=following)
                continue
            if status == PLANNED:
                if now >= start - REMIND_BEFORE and now < start and not (session and session.reminded):
                    await self._remind(series, start)
                open_at = max(start - timedelta(minutes=series.open_minutes_before), series.created_at)
                if now < open_at:
                    break
                if now - open_at > GRACE:
                    if await self.repo.claim_status(series.id, series.guild_id, start, MISSED_BY_BOT):
                        log.info("circle series %s: the session at %s fell into downtime", series.id, start)
                        missed = await self.repo.session(series.id, start)
                        if missed is not None:
                            await self._cancel_event(missed)
                    continue
                if await self.repo.claim_status(series.id, series.guild_id, start, OPENED):
                    await self._open(series, start)
                continue
            # Opened, waiting for its start time to start by itself.
            assert session is not None
            if now < start:
                break
            if await self.repo.claim_flag(series.id, start, "started") and now - start <= GRACE:
                await self._auto_start(series, session)
        await self._ensure_events(series, now, tz)
        self._arm(series.id, self._next_wake(series, session, now, tz))

    def _next_wake(self, series: Series, session: Session | None, now: datetime, tz: str) -> datetime:
        start = series.next_session
        moments = [next_occurrence(series.recurrence, now + EVENT_LEAD, tz) - EVENT_LEAD]
        if session is not None and session.status == OPENED:
            moments.append(start)
        else:
            moments.append(max(start - timedelta(minutes=series.open_minutes_before), series.created_at))
            if not (session and session.reminded):
                moments.append(start - REMIND_BEFORE)
        return min(m for m in moments if m > now) if any(m > now for m in moments) else now + GRACE

    # Opening and starting -----------------------------------------------------------------------------------

    async def _open(self, series: Series, start: datetime) -> None:
        channel: Any = self.bot.get_channel(series.channel_id)
        try:
            if channel is None:
                raise UserFacingError("I can't see its channel any more, so I couldn't open the circle.")
            circle_id = await self.circles.open(
                None, channel, series.settings, opened_by=series.created_by_user_id, series_id=series.id
            )
        except UserFacingError as exc:
            # The session didn't happen through nobody's fault: void for streaks, and the facilitator hears why.
            await self.repo.claim_status(series.id, series.guild_id, start, MISSED_BY_BOT, from_status=OPENED)
            session = await self.repo.session(series.id, start)
            if session is not None:
                await self._cancel_event(session)
            log.info("circle series %s: could not open the session at %s", series.id, start)
            await self._tell_facilitator(series, f"I couldn't open **{series.name}** this time. {exc.message}")
            return
        await self.repo.set_circle(series.id, start, circle_id)
        log.info("circle series %s: opened circle %s for the session at %s", series.id, circle_id, start)
        try:
            await channel.send(_opening_line(series, start, self.now), allowed_mentions=QUIET)
        except discord.HTTPException as exc:
            log.info("circle series %s: no opening line (%s)", series.id, exc.status)

    async def _auto_start(self, series: Series, session: Session) -> None:
        if session.circle_id is None:
            return
        loaded = await self.circles.load(session.circle_id)
        if loaded is None or loaded.state.status != Status.GATHERING:
            return  # a facilitator started (or ended) it already
        try:
            await self.circles.start(None, loaded)
        except UserFacingError as exc:
            await self._tell_facilitator(
                series,
                f"**{series.name}** is open in <#{series.channel_id}>, but I couldn't start it on time: {exc.message} "
                "You can start it with `/circle start` when you're ready.",
            )

    async def _tell_facilitator(self, series: Series, text: str) -> None:
        if series.created_by_user_id is None:
            log.info("circle series %s: nobody to tell about a problem", series.id)
            return
        try:
            user = self.bot.get_user(series.created_by_user_id) or await self.bot.fetch_user(series.created_by_user_id)
            await user.send(text, allowed_mentions=QUIET)
        except discord.HTTPException:
            log.info("circle series %s: could not reach its facilitator", series.id)

    # Reminders ----------------------------------------------------------------------------------------------

    async def _remind(self, series: Series, start: datetime) -> None:
        await self.repo.plan(series.id, series.guild_id, start)
        if not await self.repo.claim_flag(series.id, start, "reminded"):
            return
        users = await self.repo.reminder_users(series.id)
        if not users:
            return
        # Sent in the background, spaced out, so a long list never holds up opening the circle.
        task = asyncio.create_task(self._send_reminders(series, start, users), name="circles: series reminders")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_reminders(self, series: Series, start: datetime, users: list[int]) -> None:
        text = _reminder_dm(series, start)
        sent = 0
        for index, user_id in enumerate(users):
            if index and self.dm_spacing:
                await asyncio.sleep(self.dm_spacing)
            try:
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                await user.send(text, allowed_mentions=QUIET)
                sent += 1
            except discord.Forbidden:
                log.debug("series reminder not sent: DMs closed")
            except discord.HTTPException as exc:
                log.info("series reminder not sent (%s)", exc.status)
        log.info("circle series %s: %d of %d reminders sent", series.id, sent, len(users))

    # Scheduled Events ---------------------------------------------------------------------------------------

    def _event_payload(self, series: Series, channel: Any, start: datetime) -> dict[str, Any]:
        kind = channel_kind(channel)
        end = start + timedelta(minutes=series.duration_minutes)
        payload: dict[str, Any] = {
            "name": series.name[:100],
            "description": _event_description(series),
            "privacy_level": 2,  # guild only: the only level Discord accepts
            "scheduled_start_time": start.isoformat(),
            "scheduled_end_time": end.isoformat(),
        }
        if kind in ("voice", "stage"):
            payload["entity_type"] = 2 if kind == "voice" else 1
            payload["channel_id"] = channel.id
        else:
            payload["entity_type"] = 3
            payload["entity_metadata"] = {"location": f"#{channel.name}"[:100]}
        return payload

    async def _ensure_events(self, series: Series, now: datetime, tz: str) -> None:
        """One Event for each planned session starting within a week (a refusal is retried at the next step)."""
        channel = self.bot.get_channel(series.channel_id)
        if channel is None:
            return
        for start in occurrences_between(series.recurrence, series.next_session - _JUST_BEFORE, now + EVENT_LEAD, tz):
            if start <= now:
                continue
            await self.repo.plan(series.id, series.guild_id, start)
            session = await self.repo.session(series.id, start)
            if session is None or session.status != PLANNED or session.event_id is not None:
                continue
            try:
                data = await self.bot.http.create_guild_scheduled_event(
                    series.guild_id,
                    reason="A recurring circle's session",
                    **self._event_payload(series, channel, start),
                )
            except discord.Forbidden:
                log.info("circle series %s: no permission to create its Events", series.id)
                return
            except discord.HTTPException as exc:
                log.warning("circle series %s: Discord refused an Event (%s %s)", series.id, exc.status, exc.code)
                return
            await self.repo.set_event(series.id, start, int(data["id"]), EVENT_SCHEDULED)

    async def _set_event_status(self, session: Session, status: int | None) -> None:
        """Move a session's Event on (None: cancel it if it never became active)."""
        if session.event_id is None or session.event_status not in (EVENT_SCHEDULED, EVENT_ACTIVE):
            return
        if status is None:
            status = EVENT_CANCELLED if session.event_status == EVENT_SCHEDULED else EVENT_COMPLETED
        if status == session.event_status:
            return
        try:
            await self.bot.http.edit_scheduled_event(
                session.guild_id, session.event_id, status=status, reason="A recurring circle's session"
            )
        except discord.NotFound:
            status = EVENT_CANCELLED  # someone deleted it in Discord: nothing left to keep in step
        except discord.HTTPException as exc:
            log.info("circle series %s: could not update an Event (%s %s)", session.series_id, exc.status, exc.code)
            return
        await self.repo.set_event_status(session.series_id, session.starts_at, status)

    async def _cancel_event(self, session: Session) -> None:
        if session.event_status == EVENT_SCHEDULED:
            await self._set_event_status(session, EVENT_CANCELLED)

    async def on_circle_changed(self, circle_id: int, tr: Transition) -> None:
        """Keep a session's Event in step with its circle: active when it starts, completed when it ends."""
        started = any(isinstance(e, rules.CircleStarted) for e in tr.effects)
        ended = any(isinstance(e, rules.CircleEnded) for e in tr.effects)
        if not (started or ended):
            return
        session = await self.repo.session_for_circle(circle_id)
        if session is None or session.event_id is None:
            return
        if started:
            await self._set_event_status(session, EVENT_ACTIVE)
            session = await self.repo.session_for_circle(circle_id)
        if ended and session is not None:
            await self._set_event_status(session, None)
