"""The circle's imperative shell: load state, run a domain transition, persist, apply its effects, arm the timer.

Every change to a circle (a command, a button, a timer, a restart) goes through `CircleService._transition`
under the circle's lock, so a timer firing while someone presses a button never interleaves. The state is
written before Discord is touched: if Discord refuses something, the circle keeps its place and the floor is
reconciled again at the next change, by the facilitator's "Try again", or at the next start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot import access
from bot.access import Standing
from bot.db.repos.attendance import AttendanceEvent
from bot.db.repos.circles import ActiveCircleExists, CircleRow
from bot.domain import circle as rules
from bot.domain.circle import (
    CircleEnded,
    CircleSettings,
    CircleState,
    Enforcement,
    Phase,
    Status,
    Transition,
)
from bot.errors import UserFacingError
from bot.replies import QUIET, send_private
from cogs.circles import texts
from cogs.circles.card import card_embed, card_view, problem_view
from cogs.circles.floor import FloorError, TextFloor

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

Step = Callable[[CircleState, datetime], Transition]
TEXT_KINDS = ("text", "thread")


@dataclass(slots=True)
class Loaded:
    row: CircleRow
    state: CircleState


def channel_kind(channel: Any) -> str | None:
    if isinstance(channel, discord.Thread):
        return "thread"
    if isinstance(channel, discord.StageChannel):
        return "stage"
    if isinstance(channel, discord.VoiceChannel):
        return "voice"
    if isinstance(channel, discord.TextChannel):
        return "text"
    return None


def speakers(state: CircleState) -> set[int]:
    """Who may speak right now: the holder, and the listener while they reflect (empathy)."""
    if state.status not in (Status.RUNNING, Status.PAUSED) or state.holder is None:
        return set()
    found = {state.holder}
    if state.phase in (Phase.REFLECTING, Phase.CONFIRMING) and state.listener is not None:
        found.add(state.listener)
    return found


def attendance_from(circle_id: int, before: CircleState, tr: Transition, now: datetime) -> list[AttendanceEvent]:
    events: list[AttendanceEvent] = []
    round_ = before.round
    for effect in tr.effects:
        if isinstance(effect, rules.RoundOpened):
            round_ = effect.round
        elif isinstance(effect, rules.MemberJoined):
            events.append(AttendanceEvent(circle_id, effect.user_id, "joined", round_, now))
        elif isinstance(effect, rules.MemberLeft):
            events.append(AttendanceEvent(circle_id, effect.user_id, "left", round_, now))
        elif isinstance(effect, rules.TurnPassed):
            events.append(AttendanceEvent(circle_id, effect.user_id, "passed", round_, now))
        elif isinstance(effect, rules.TurnEnded):
            kind = {
                "finished": "took_turn",
                "timed_out": "took_turn",
                "passed": "passed",
                "skipped": "skipped",
            }
            if effect.reason in kind:
                events.append(AttendanceEvent(circle_id, effect.holder, kind[effect.reason], round_, now))
    return events


def announcement(before: CircleState, tr: Transition, now: datetime) -> tuple[str | None, set[int]]:
    """One public message for a whole transition (and the people it may ping), or None."""
    lines: list[str] = []
    pings: set[int] = set()
    effects = tr.effects
    last_turn = max((i for i, e in enumerate(effects) if isinstance(e, rules.TurnStarted)), default=-1)
    round_opened = False
    for index, effect in enumerate(effects):
        if isinstance(effect, rules.RoundOpened):
            round_opened = True
        elif isinstance(effect, rules.TurnStarted) and index == last_turn and effect.phase == Phase.SPEAKING:
            lines.append(
                texts.turn_started(effect.holder, effect.ends_at, effect.round, tr.state.settings.rounds, round_opened)
            )
            pings.add(effect.holder)
            round_opened = False
        elif isinstance(effect, rules.TurnWarning) and effect.ends_at > now and index > last_turn:
            lines.append(texts.warning(effect.holder, effect.ends_at))
            pings.add(effect.holder)
        elif isinstance(effect, rules.Paused):
            lines.append(texts.paused(tr.state.holder))
        elif isinstance(effect, rules.Resumed):
            lines.append(texts.resumed(tr.state.holder, effect.ends_at))
        elif isinstance(effect, rules.Extended):
            lines.append(texts.extended(tr.state.holder, effect.ends_at, effect.seconds))
        elif isinstance(effect, CircleEnded):
            lines.append(texts.ended(effect.reason))
    if not lines:
        return None, set()
    return "\n".join(lines)[:2000], pings


CARD_EFFECTS = (rules.MemberJoined, rules.MemberLeft, rules.CircleStarted, rules.RoundOpened, CircleEnded)


class CircleService:
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self._locks: dict[int, asyncio.Lock] = {}
        self.active_by_channel: dict[int, int] = {}

    def _lock(self, circle_id: int) -> asyncio.Lock:
        return self._locks.setdefault(circle_id, asyncio.Lock())

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    # Finding circles ----------------------------------------------------------------------------------------

    async def active_in(self, channel_id: int) -> Loaded:
        row = await self.bot.db.circles.active_in_channel(channel_id)
        if row is None:
            raise UserFacingError(texts.NO_CIRCLE)
        return Loaded(row, CircleState.from_json(row.state))

    async def load(self, circle_id: int) -> Loaded | None:
        row = await self.bot.db.circles.get(circle_id)
        if row is None:
            return None
        return Loaded(row, CircleState.from_json(row.state))

    # Opening ------------------------------------------------------------------------------------------------

    async def open(self, interaction: discord.Interaction, channel: Any, settings: CircleSettings) -> int:
        kind = channel_kind(channel)
        if kind is None:
            raise UserFacingError(texts.NOT_A_CIRCLE_CHANNEL)
        if kind in ("voice", "stage"):
            raise UserFacingError(texts.VOICE_LATER)
        if kind == "thread" and settings.enforcement == Enforcement.STRICT:
            raise UserFacingError(texts.THREAD_STRICT)
        perms = channel.permissions_for(channel.guild.me)
        missing = [
            name
            for flag, name in (
                ("view_channel", "View Channel"),
                ("send_messages", "Send Messages"),
                ("embed_links", "Embed Links"),
            )
            if not getattr(perms, flag)
        ]
        if kind == "thread" and not perms.send_messages_in_threads:
            missing.append("Send Messages in Threads")
        if missing:
            raise UserFacingError(texts.permission_problem("open a circle there", ", ".join(missing)))
        state = rules.open_circle(settings)
        try:
            circle_id = await self.bot.db.circles.create(
                guild_id=channel.guild.id,
                channel_id=channel.id,
                channel_kind=kind,
                status=state.status.value,
                state=state.to_json(),
                facilitator_user_id=interaction.user.id,
                now=self.now,
            )
        except ActiveCircleExists:
            raise UserFacingError(texts.ALREADY_OPEN) from None
        self.active_by_channel[channel.id] = circle_id
        try:
            message = await channel.send(embed=card_embed(state), view=card_view(circle_id, state.status))
        except discord.HTTPException:
            await self.bot.db.circles.save(
                circle_id,
                status=Status.ENDED.value,
                state=state.to_json(),
                next_deadline=None,
                ended_at=self.now,
            )
            self.active_by_channel.pop(channel.id, None)
            raise UserFacingError(texts.permission_problem("post the circle's card", "Send Messages")) from None
        await self.bot.db.circles.set_card(circle_id, message.id)
        return circle_id

    # Changing a circle --------------------------------------------------------------------------------------

    async def change(
        self,
        loaded: Loaded,
        step: Step,
        *,
        interaction: discord.Interaction | None = None,
        reply: str | None = None,
        before_apply: Callable[[Loaded], Any] | None = None,
    ) -> Transition:
        """Run one domain step on a circle and make Discord match. `reply` answers the interaction first."""
        async with self._lock(loaded.row.id):
            fresh = await self.load(loaded.row.id)
            assert fresh is not None
            now = self.now
            tr = step(fresh.state, now)
            if before_apply is not None:
                await before_apply(fresh)
            await self._persist(fresh, tr, now)
            if interaction is not None and reply is not None:
                await send_private(interaction, reply)
            await self._apply(fresh, tr, now, interaction=interaction)
            return tr

    async def _persist(self, loaded: Loaded, tr: Transition, now: datetime) -> None:
        state = tr.state
        ended = state.status == Status.ENDED
        events = attendance_from(loaded.row.id, loaded.state, tr, now)
        async with self.bot.db.transaction():
            await self.bot.db.circles.save(
                loaded.row.id,
                status=state.status.value,
                state=state.to_json(),
                next_deadline=rules.next_deadline(state),
                ended_at=now if ended else None,
            )
            await self.bot.db.attendance.record_many(loaded.row.guild_id, events)
        self._arm(loaded.row.id, state)
        if ended:
            self.active_by_channel.pop(loaded.row.channel_id, None)

    def _arm(self, circle_id: int, state: CircleState) -> None:
        deadline = rules.next_deadline(state)
        job = f"circle:{circle_id}"
        if deadline is None:
            self.bot.scheduler.cancel(job)
        else:
            self.bot.scheduler.schedule(job, deadline, self.on_timer, circle_id)

    async def on_timer(self, circle_id: int) -> None:
        loaded = await self.load(circle_id)
        if loaded is None or loaded.state.status == Status.ENDED:
            return
        await self.change(loaded, rules.advance)

    # Applying effects on Discord ----------------------------------------------------------------------------

    def _channel(self, row: CircleRow) -> Any:
        return self.bot.get_channel(row.channel_id)

    async def _floor(self, row: CircleRow, channel: Any) -> TextFloor:
        config = await self.bot.db.guilds.get(row.guild_id)
        return TextFloor(self.bot, row.id, channel, config.facilitator_role_id)

    def _locked(self, row: CircleRow, state: CircleState) -> bool:
        return (
            row.channel_kind == "text"
            and state.settings.enforcement == Enforcement.STRICT
            and state.status in (Status.RUNNING, Status.PAUSED)
        )

    async def sync_floor(self, row: CircleRow, state: CircleState) -> None:
        channel = self._channel(row)
        if channel is None or row.channel_kind != "text":
            return
        floor = await self._floor(row, channel)
        await floor.reconcile(speakers(state), locked=self._locked(row, state))

    async def _apply(
        self, loaded: Loaded, tr: Transition, now: datetime, *, interaction: discord.Interaction | None
    ) -> None:
        row = loaded.row
        channel = self._channel(row)
        if channel is None:
            log.info("circle %s: its channel is gone", row.id)
            return
        problems: list[str] = []
        try:
            await self.sync_floor(row, tr.state)
        except FloorError as exc:
            log.warning("circle %s: floor not in step: %s", row.id, exc)
            problems.append(
                texts.permission_problem("hand the stick on", exc.permission)
                if exc.permission
                else texts.discord_problem("hand the stick on")
            )
        text, pings = announcement(loaded.state, tr, now)
        if text:
            try:
                await channel.send(
                    text, allowed_mentions=discord.AllowedMentions(users=[discord.Object(u) for u in pings])
                )
            except discord.Forbidden:
                problems.append(texts.permission_problem("post in the circle's channel", "Send Messages"))
            except discord.HTTPException:
                problems.append(texts.discord_problem("post the turn announcement"))
        if any(isinstance(e, CARD_EFFECTS) for e in tr.effects):
            await self._refresh_card(row, channel, tr.state)
        if problems:
            await self.tell_facilitator(row, "\n".join(problems), interaction=interaction)

    async def _refresh_card(self, row: CircleRow, channel: Any, state: CircleState) -> None:
        if row.card_message_id is None:
            return
        try:
            await channel.get_partial_message(row.card_message_id).edit(
                embed=card_embed(state), view=card_view(row.id, state.status)
            )
        except discord.HTTPException as exc:
            # The card is a convenience; the commands keep working without it.
            log.info("circle %s: could not update its card (%s)", row.id, exc.status)

    async def tell_facilitator(
        self, row: CircleRow, text: str, *, interaction: discord.Interaction | None = None
    ) -> None:
        """Tell a facilitator, privately, what Discord refused, with Try again / End buttons."""
        view = problem_view(row.id)
        if interaction is not None and await access.standing_of(self.bot, interaction) >= Standing.FACILITATOR:
            try:
                await send_private(interaction, text, view=view)
                return
            except discord.HTTPException:
                pass
        if row.facilitator_user_id is not None:
            try:
                user = self.bot.get_user(row.facilitator_user_id) or await self.bot.fetch_user(row.facilitator_user_id)
                await user.send(f"About your circle in <#{row.channel_id}>: {text}", view=view, allowed_mentions=QUIET)
                return
            except discord.HTTPException:
                pass
        log.warning("circle %s: could not reach a facilitator about a problem", row.id)

    # Restarts -----------------------------------------------------------------------------------------------

    async def restore_all(self) -> int:
        """At start-up: catch every active circle up with the time that passed, repair Discord, re-arm timers."""
        restored = 0
        for row in await self.bot.db.circles.active():
            loaded = Loaded(row, CircleState.from_json(row.state))
            self.active_by_channel[row.channel_id] = row.id
            if self._channel(row) is None:
                await self.change(loaded, rules.end)
                continue
            await self.change(loaded, rules.advance)
            restored += 1
        for row in await self.bot.db.circles.ended_with_overwrites():
            try:
                await self.sync_floor(row, CircleState.from_json(row.state))
            except FloorError as exc:
                log.warning("circle %s: could not put the channel back after a restart: %s", row.id, exc)
        return restored

    # People -------------------------------------------------------------------------------------------------

    async def press(self, interaction: discord.Interaction, action: str, circle_id: int) -> None:
        loaded = await self.load(circle_id)
        if loaded is None or loaded.state.status == Status.ENDED:
            raise UserFacingError("This circle has already closed. Thank you for being part of it.")
        user = interaction.user.id
        if action == "join":
            await self.join(interaction, loaded)
        elif action == "leave":
            await self.change(loaded, lambda s, t: rules.leave(s, user, t), interaction=interaction, reply=texts.LEFT)
        elif action == "done":
            if loaded.state.holder != user:
                raise UserFacingError(texts.HOLDER_ONLY)
            await self.change(
                loaded,
                lambda s, t: rules.finish_turn(s, user, t),
                interaction=interaction,
                reply=texts.DONE_THANKS,
            )
        elif action == "pass":
            await self.pass_turn(interaction, loaded)
        elif action in ("retry", "end"):
            # These buttons may be pressed in a DM, where the interaction has no server: check in the circle's.
            await access.require_in_guild(self.bot, user, loaded.row.guild_id, Standing.FACILITATOR)
            if action == "end":
                await self.change(loaded, rules.end, interaction=interaction, reply=texts.ENDED_REPLY)
            else:
                await self.retry(interaction, loaded)

    async def join(self, interaction: discord.Interaction, loaded: Loaded) -> None:
        user = interaction.user.id
        reply = texts.JOINED if loaded.state.status == Status.GATHERING else texts.JOINED_MID
        await self.change(loaded, lambda s, t: rules.join(s, user, t), interaction=interaction, reply=reply)

    async def pass_turn(self, interaction: discord.Interaction, loaded: Loaded) -> None:
        user = interaction.user.id
        if user not in loaded.state.participants:
            raise UserFacingError(texts.NOT_IN_CIRCLE)
        reply = texts.DONE_THANKS if loaded.state.holder == user else texts.PASS_NOTED
        await self.change(loaded, lambda s, t: rules.pass_turn(s, user, t), interaction=interaction, reply=reply)

    async def retry(self, interaction: discord.Interaction, loaded: Loaded) -> None:
        async with self._lock(loaded.row.id):
            try:
                await self.sync_floor(loaded.row, loaded.state)
            except FloorError as exc:
                raise UserFacingError(
                    texts.permission_problem("hand the stick on", exc.permission)
                    if exc.permission
                    else texts.discord_problem("hand the stick on")
                ) from None
        await send_private(interaction, "Thank you. The channel is in step with the circle again.")

    async def start(self, interaction: discord.Interaction, loaded: Loaded) -> None:
        row = loaded.row
        channel = self._channel(row)
        if channel is None:
            raise UserFacingError("I can't see this circle's channel any more.")
        if row.channel_kind == "text" and loaded.state.settings.enforcement == Enforcement.STRICT:
            missing = (await self._floor(row, channel)).missing_permissions()
            if missing:
                raise UserFacingError(texts.permission_problem("start the circle", ", ".join(missing)))
        await self.change(loaded, rules.start, interaction=interaction, reply=texts.STARTED)

    async def remind_gently(self, message: discord.Message) -> None:
        """Gentle mode: a quiet DM to someone posting out of turn, at most once a minute, never a delete."""
        circle_id = self.active_by_channel.get(message.channel.id)
        if circle_id is None or message.author.bot or message.guild is None:
            return
        loaded = await self.load(circle_id)
        if loaded is None or loaded.state.settings.enforcement != Enforcement.GENTLE:
            return
        if loaded.state.status != Status.RUNNING or message.author.id in speakers(loaded.state):
            return
        if isinstance(message.author, discord.Member) and await access.is_facilitator_member(
            self.bot, message.guild, message.author
        ):
            return
        now = self.now
        last = await self.bot.db.circles.last_reminder(circle_id, message.author.id)
        if last is not None and now - last < timedelta(minutes=1):
            return
        await self.bot.db.circles.set_reminder(circle_id, message.author.id, now)
        try:
            await message.author.send(texts.reminder(f"<#{message.channel.id}>"), allowed_mentions=QUIET)
        except discord.Forbidden:
            log.debug("gentle reminder not sent: DMs closed")
        except discord.HTTPException as exc:
            log.info("gentle reminder not sent (%s)", exc.status)
