"""A recurring circle's sessions in the server's Events (Discord Scheduled Events), one Event per session.

Discord's own recurrence allows one weekday only (and discord.py cannot send it), so each session gets its own
Event, made once it is within `EVENT_LEAD` (a week). The Event turns active when the session's circle starts
and completed when it ends: Discord does neither by itself for voice and stage events. A refusal (a missing
permission, Discord being down) is logged and tried again at the series' next step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.db.repos.series import (
    EVENT_ACTIVE,
    EVENT_CANCELLED,
    EVENT_COMPLETED,
    EVENT_SCHEDULED,
    Series,
    SeriesRepo,
    Session,
)
from bot.domain import circle
from bot.domain.circle import Status, Transition
from bot.domain.recurrence import occurrences_between
from bot.domain.series import EVENT_LEAD, PLANNED
from cogs.circles import texts
from cogs.circles.places import channel_kind
from cogs.circles.shell import CircleShell

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

_JUST_BEFORE = timedelta(microseconds=1)
REASON = "A recurring circle's session"


def event_payload(series: Series, channel: Any, start: datetime) -> dict[str, Any]:
    """What Discord needs to list one session: a voice or stage Event in its channel, else an external one."""
    kind = channel_kind(channel)
    end = start + timedelta(minutes=series.duration_minutes)
    payload: dict[str, Any] = {
        "name": series.name[:100],
        "description": texts.event_description(series.recurrence.describe()),
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


class SeriesEvents:
    def __init__(self, bot: CircleBot, shell: CircleShell) -> None:
        self.bot = bot
        self.shell = shell

    @property
    def repo(self) -> SeriesRepo:
        return self.bot.store.series

    async def ensure(self, series: Series, now: datetime, tz: str) -> None:
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
                    series.guild_id, reason=REASON, **event_payload(series, channel, start)
                )
            except discord.Forbidden:
                log.info("circle series %s: no permission to create its Events", series.id)
                return
            except discord.HTTPException as exc:
                log.warning("circle series %s: Discord refused an Event (%s %s)", series.id, exc.status, exc.code)
                return
            await self.repo.set_event(series.id, start, int(data["id"]), EVENT_SCHEDULED)

    async def set_status(self, session: Session, status: int | None) -> None:
        """Move a session's Event on (None: cancel it if it never became active, else complete it)."""
        if session.event_id is None or session.event_status not in (EVENT_SCHEDULED, EVENT_ACTIVE):
            return
        if status is None:
            status = EVENT_CANCELLED if session.event_status == EVENT_SCHEDULED else EVENT_COMPLETED
        if status == session.event_status:
            return
        try:
            await self.bot.http.edit_scheduled_event(session.guild_id, session.event_id, status=status, reason=REASON)
        except discord.NotFound:
            status = EVENT_CANCELLED  # someone deleted it in Discord: nothing left to keep in step
        except discord.HTTPException as exc:
            log.info("circle series %s: could not update an Event (%s %s)", session.series_id, exc.status, exc.code)
            return
        await self.repo.set_event_status(session.series_id, session.starts_at, status)

    async def cancel(self, session: Session) -> None:
        if session.event_status == EVENT_SCHEDULED:
            await self.set_status(session, EVENT_CANCELLED)

    async def restore_all(self, guilds: Callable[[int], bool] | None = None) -> None:
        """At start-up: Events whose circle started or ended while the bot was down are put in step."""
        for session in await self.repo.sessions_with_live_events():
            if guilds is not None and not guilds(session.guild_id):
                continue
            assert session.circle_id is not None
            loaded = await self.shell.load(session.circle_id)
            if loaded is None:
                continue
            status = loaded.state.status
            if status == Status.ENDED:
                await self.set_status(session, None)
            elif status in (Status.RUNNING, Status.PAUSED) and session.event_status == EVENT_SCHEDULED:
                await self.set_status(session, EVENT_ACTIVE)

    async def on_circle_changed(self, circle_id: int, tr: Transition) -> None:
        """Keep a session's Event in step with its circle: active when it starts, completed when it ends."""
        started = any(isinstance(e, circle.CircleStarted) for e in tr.effects)
        ended = any(isinstance(e, circle.CircleEnded) for e in tr.effects)
        if not (started or ended):
            return
        session = await self.repo.session_for_circle(circle_id)
        if session is None or session.event_id is None:
            return
        if started:
            await self.set_status(session, EVENT_ACTIVE)
            session = await self.repo.session_for_circle(circle_id)
        if ended and session is not None:
            await self.set_status(session, None)
