"""What a command or a button asks of a circle: find it, check who asks, pick the step and its reply.

This is the object other features reach as `bot.features.circles` (`CirclesFeature` in `bot/features.py`). Who
may take which step is the rulebook's (`bot.domain.circle` refuses with a `Refusal`); this module only says who
may ask at all (member, facilitator) and which words answer them. The shell (`cogs/circles/shell.py`) takes the
step and makes Discord match.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot import access
from bot.access import Standing
from bot.circle_keeper import Loaded, Step
from bot.db.repos.circles import ActiveCircleExists
from bot.domain import circle, floor
from bot.domain.circle import CircleFormat, CircleSettings, CircleState, Enforcement, Status, Transition
from bot.domain.refusal import Refusal
from bot.errors import UserFacingError
from bot.replies import QUIET, send_private
from cogs.circles import announce, places, texts
from cogs.circles.announce import Reply
from cogs.circles.card import card_embed, card_view
from cogs.circles.shell import CircleShell

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.features import MessageFacts

log = logging.getLogger(__name__)

GENTLE_REMINDER_EVERY = timedelta(minutes=1)


class CircleActions:
    def __init__(self, bot: CircleBot, shell: CircleShell) -> None:
        self.bot = bot
        self.shell = shell

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    # Finding circles ----------------------------------------------------------------------------------------

    def active_circle_in(self, channel_id: int) -> int | None:
        return self.shell.keeper.active_in(channel_id)

    async def circle_in(self, channel_id: int, guild_id: int) -> int | None:
        """The circle running in the channel: from memory, or, before its server's shard restored it, the database."""
        keeper = self.shell.keeper
        circle_id = keeper.active_in(channel_id)
        if circle_id is None and not keeper.restored(guild_id):
            row = await self.bot.store.circles.active_in_channel(channel_id)
            circle_id = row.id if row is not None else None
        return circle_id

    async def active_in(self, channel_id: int, guild_id: int) -> Loaded:
        """The circle running in this channel, from the keeper's memory, or a kind error."""
        keeper = self.shell.keeper
        circle_id = await self.circle_in(channel_id, guild_id)
        loaded = await keeper.load(circle_id) if circle_id is not None else None
        if loaded is None or loaded.state.status == Status.ENDED:
            raise UserFacingError(texts.NO_CIRCLE)
        return loaded

    async def take(
        self, interaction: discord.Interaction | None, circle_id: int, step: Step, reply: Reply | None = None
    ) -> Transition | None:
        """Take a step someone asked for; a refusal is answered in the circle's own words where it has them."""
        try:
            return await self.shell.change(circle_id, step, interaction=interaction, reply=reply)
        except Refusal as refusal:
            words = texts.IN_OUR_WORDS.get(refusal.key)
            if words is None:
                raise
            raise Refusal(refusal.key, words) from None

    # Opening ------------------------------------------------------------------------------------------------

    async def settings_for(
        self,
        guild_id: int,
        *,
        format: str,
        turn_minutes: float | None,
        rounds: int,
        enforcement: str,
        deck: str | None,
    ) -> CircleSettings:
        """A circle's settings from `/circle open`'s (or a series') options and the server's defaults."""
        config = await self.bot.store.guilds.get(guild_id)
        seconds = round(turn_minutes * 60) if turn_minutes is not None else config.default_turn_seconds
        return CircleSettings(
            format=CircleFormat(format),
            turn_seconds=seconds,
            rounds=rounds,
            enforcement=Enforcement(enforcement),
            warning_seconds=min(self.bot.settings.warning_seconds, max(seconds // 3, 0)),
            deck=deck,
        )

    async def open(
        self,
        interaction: discord.Interaction | None,
        channel: Any,
        settings: CircleSettings,
        *,
        opened_by: int | None = None,
        series_id: int | None = None,
    ) -> int:
        """Open a circle; without an interaction (a recurring series opens its own) `opened_by` is the facilitator."""
        kind = places.check_open(channel, settings.enforcement, "open a circle there")
        state = circle.open_circle(settings)
        store = self.bot.store
        try:
            circle_id = await store.circles.create(
                guild_id=channel.guild.id,
                channel_id=channel.id,
                channel_kind=kind,
                status=state.status.value,
                state=state.to_json(),
                facilitator_user_id=interaction.user.id if interaction is not None else opened_by,
                now=self.now,
                series_id=series_id,
            )
        except ActiveCircleExists:
            raise UserFacingError(texts.ALREADY_OPEN) from None
        keeper = self.shell.keeper
        keeper.opened(circle_id, channel.id)
        try:
            message = await channel.send(embed=card_embed(state, kind), view=card_view(circle_id, state.status))
        except discord.HTTPException:
            ended = Status.ENDED.value
            await store.circles.save(
                circle_id, status=ended, state=state.to_json(), next_deadline=None, ended_at=self.now
            )
            keeper.closed(circle_id, channel.id)
            raise UserFacingError(texts.permission_problem("post the circle's card", places.SEND_MESSAGES)) from None
        await keeper.set_card(circle_id, message.id)
        opened = await keeper.load(circle_id)
        if opened is not None:
            # Round 1's prompt is drawn now, so `/prompt redraw` can change it before the circle starts.
            await self.shell.prompt_for_round(opened.row, 1, settings)
        return circle_id

    async def start(self, interaction: discord.Interaction | None, loaded: Loaded, *, from_hands: bool = False) -> None:
        row = loaded.row
        channel = self.shell.channel(row)
        if channel is None:
            raise UserFacingError(texts.CHANNEL_GONE)
        if from_hands and row.channel_kind != "stage":
            raise UserFacingError(texts.HANDS_STAGE_ONLY)
        if places.keeps_floor(row.channel_kind, loaded.state.settings.enforcement):
            missing = places.missing_to_keep_floor(channel, row.channel_kind)
            if missing:
                raise UserFacingError(texts.permission_problem("start the circle", ", ".join(missing)))
        newcomers = await self.present_to_join(row.channel_kind, channel, loaded.state, from_hands=from_hands)

        def join_then_start(state: CircleState, now: datetime) -> Transition:
            effects: list[Any] = []
            for user_id in newcomers:
                if user_id in state.participants:
                    continue  # they pressed Join while the start was on its way
                joined = circle.join(state, user_id, now)
                state, effects = joined.state, [*effects, *joined.effects]
            started = circle.start(state, now)
            return Transition(started.state, (*effects, *started.effects))

        await self.take(interaction, row.id, join_then_start, texts.STARTED)

    async def present_to_join(self, kind: str, channel: Any, state: CircleState, *, from_hands: bool) -> list[int]:
        """Voice and stage: the people already in the channel join the circle when it starts.

        Facilitators hold the space and are left out (they can join like anyone if they want a turn). On a stage
        with `from_hands`, only those who raised their hand join, in the order they raised it.
        """
        if kind not in ("voice", "stage"):
            return []
        members = [
            m
            for m in channel.members
            if not m.bot
            and m.id not in state.participants
            and not await access.is_facilitator_member(self.bot, channel.guild, m)
        ]
        if not from_hands:
            return [m.id for m in members]
        hands = [(m.voice.requested_to_speak_at, m.id) for m in members if m.voice and m.voice.requested_to_speak_at]
        return [user_id for _, user_id in sorted(hands)]

    # People -------------------------------------------------------------------------------------------------

    def _same_server(self, interaction: discord.Interaction, guild_id: int) -> None:
        """A button pressed in a server acts only on that server's circles (a forged one names another's)."""
        if interaction.guild_id is not None and interaction.guild_id != guild_id:
            raise UserFacingError(texts.ALREADY_CLOSED)

    async def press(self, interaction: discord.Interaction, action: str, circle_id: int) -> None:
        user = interaction.user.id
        if not access.valid_id(circle_id):
            raise UserFacingError(texts.ALREADY_CLOSED)
        if action == "retry":
            # Also after the end: putting the channel back (or lifting a mute) may be what Discord refused.
            row = await self.bot.store.circles.get(circle_id)
            if row is None:
                raise UserFacingError(texts.ALREADY_CLOSED)
            self._same_server(interaction, row.guild_id)
            await access.require_in_guild(self.bot, user, row.guild_id, Standing.FACILITATOR)
            await self.shell.retry(circle_id)
            await send_private(interaction, texts.IN_STEP_AGAIN)
            return
        loaded = await self.shell.load(circle_id)
        if loaded is None or loaded.state.status == Status.ENDED:
            raise UserFacingError(texts.ALREADY_CLOSED)
        self._same_server(interaction, loaded.row.guild_id)
        if action not in ("end",) and interaction.guild_id is None:
            raise UserFacingError(texts.ALREADY_CLOSED)  # only End (and Try again) are ever sent in a DM
        if action == "join":
            await self.join(interaction, loaded)
        elif action == "leave":
            await self.leave(interaction, circle_id)
        elif action == "done":
            await self.take(
                interaction, circle_id, lambda s, t: circle.finish_turn(s, user, t), announce.done_reply(user)
            )
        elif action == "pass":
            await self.pass_turn(interaction, circle_id)
        elif action in ("heard", "notyet"):
            heard = action == "heard"
            await self.take(
                interaction,
                circle_id,
                lambda s, t: circle.confirm_heard(s, user, heard, t),
                announce.heard_reply(heard),
            )
        elif action == "end":
            # This button may be pressed in a DM, where the interaction has no server: check in the circle's.
            await access.require_in_guild(self.bot, user, loaded.row.guild_id, Standing.FACILITATOR)
            await self.take(interaction, circle_id, circle.end, texts.ENDED_REPLY)

    async def choose_listener(self, interaction: discord.Interaction, circle_id: int, listener: int) -> None:
        user = interaction.user.id
        loaded = await self.shell.load(circle_id) if access.valid_id(circle_id) else None
        if loaded is None or loaded.state.status == Status.ENDED:
            raise UserFacingError(texts.ALREADY_CLOSED)
        self._same_server(interaction, loaded.row.guild_id)
        reply = texts.LISTENER_REPLY.format(listener=texts.mention(listener))
        await self.take(interaction, circle_id, lambda s, t: circle.choose_listener(s, user, listener, t), reply)

    async def join(self, interaction: discord.Interaction, loaded: Loaded) -> None:
        # The group's agreements come first (cogs/guidelines).
        if not await self.bot.features.guidelines.rules_accepted(interaction, lambda again: self.join(again, loaded)):
            return
        user = interaction.user.id
        await self.take(interaction, loaded.row.id, lambda s, t: circle.join(s, user, t), announce.join_reply)

    async def leave(self, interaction: discord.Interaction, circle_id: int) -> None:
        user = interaction.user.id
        await self.take(interaction, circle_id, lambda s, t: circle.leave(s, user, t), texts.LEFT)

    async def pass_turn(self, interaction: discord.Interaction, circle_id: int) -> None:
        user = interaction.user.id
        await self.take(interaction, circle_id, lambda s, t: circle.pass_turn(s, user, t), announce.pass_reply(user))

    def status_text(self, state: CircleState) -> str:
        """`/circle status`: where the circle is now (caught up with the clock, never saved from here)."""
        now = self.now
        state = circle.advance(state, now).state
        left = circle.time_left(state, now)
        return texts.status_lines(
            settings=state.settings,
            status=state.status.value,
            round_=state.round,
            holder=state.holder,
            time_left_seconds=int(left.total_seconds()) if left is not None else None,
            ends_at=state.deadline,
            upcoming=list(circle.upcoming(state)),
            passing=set(state.passing),
            participants=len(state.participants),
        )

    async def remind_gently(self, facts: MessageFacts) -> None:
        """Gentle mode: a quiet DM to someone posting out of turn, at most once a minute, never a delete."""
        circle_id, message = facts.circle_id, facts.message
        if circle_id is None:
            return
        loaded = await self.shell.load(circle_id)
        if loaded is None or loaded.state.settings.enforcement != Enforcement.GENTLE:
            return
        if loaded.state.status != Status.RUNNING or facts.member.id in floor.speakers(loaded.state):
            return
        if facts.flagged:
            return  # someone who may be in crisis gets care (cogs/crisis), never a "wait your turn"
        if await access.is_facilitator_member(self.bot, facts.member.guild, facts.member):
            return
        now = self.now
        last = await self.bot.store.circles.last_reminder(circle_id, message.author.id)
        if last is not None and now - last < GENTLE_REMINDER_EVERY:
            return
        await self.bot.store.circles.set_reminder(circle_id, message.author.id, now)
        try:
            await message.author.send(texts.reminder(f"<#{message.channel.id}>"), allowed_mentions=QUIET)
        except discord.Forbidden:
            log.debug("gentle reminder not sent: DMs closed")
        except discord.HTTPException as exc:
            log.info("gentle reminder not sent (%s)", exc.status)
