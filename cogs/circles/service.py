"""The circle's imperative shell: load state, run a domain transition, persist, apply its effects, arm the timer.

Every change to a circle (a command, a button, a timer, a restart) goes through `CircleService._transition`
under the circle's lock, so a timer firing while someone presses a button never interleaves. The state is
written before Discord is touched: if Discord refuses something, the circle keeps its place and the floor is
reconciled again at the next change, by the facilitator's "Try again", or at the next start-up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot import access
from bot.access import Standing
from bot.circle_keeper import CircleKeeper, Loaded, Step
from bot.db.repos.circles import ActiveCircleExists, CircleRow
from bot.domain import circle as rules
from bot.domain.circle import (
    CircleEnded,
    CircleFormat,
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
from cogs.circles.card import card_embed, card_view, heard_view, listener_view, problem_view
from cogs.circles.floor import FloorError, TextFloor
from cogs.circles.voice import StageFloor, VoiceFloor, undo_left_behind, undo_pending

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.features import MessageFacts

log = logging.getLogger(__name__)

TEXT_KINDS = ("text", "thread")


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


def announcement(
    before: CircleState, tr: Transition, now: datetime, prompts: dict[int, str] | None = None
) -> tuple[str | None, set[int]]:
    """One public message for a whole transition (and the people it may ping), or None.

    `prompts` holds the rendered prompt of each round this transition opens.
    """
    prompts = prompts or {}
    opened_round = before.round
    lines: list[str] = []
    pings: set[int] = set()
    effects = tr.effects
    last_turn = max((i for i, e in enumerate(effects) if isinstance(e, rules.TurnStarted)), default=-1)
    round_opened = False
    for index, effect in enumerate(effects):
        if isinstance(effect, rules.RoundOpened):
            round_opened = True
            opened_round = effect.round
        elif isinstance(effect, rules.TurnStarted) and index == last_turn and effect.phase == Phase.SPEAKING:
            lines.append(
                texts.turn_started(
                    effect.holder,
                    effect.ends_at,
                    effect.round,
                    tr.state.settings.rounds,
                    round_opened,
                    prompts.get(opened_round) if round_opened else None,
                    empathy=tr.state.settings.format == CircleFormat.EMPATHY,
                )
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
        elif isinstance(effect, rules.ListenerChosen) and index > last_turn:
            lines.append(texts.listener_chosen(effect.listener, auto=effect.auto))
            pings.add(effect.listener)
        elif isinstance(effect, rules.ReflectionStarted):
            lines.append(texts.reflect(effect.speaker, effect.listener, effect.ends_at, effect.attempt))
            pings.update((effect.speaker, effect.listener))
        elif isinstance(effect, rules.ConfirmRequested):
            lines.append(
                texts.confirm(effect.speaker, effect.ends_at, last_try=effect.attempt >= rules.MAX_REFLECTIONS)
            )
            pings.add(effect.speaker)
        elif isinstance(effect, rules.SpeakerHeard):
            lines.append(texts.heard(effect.speaker, effect.listener))
        elif isinstance(effect, CircleEnded):
            lines.append(texts.ended(effect.reason))
    if not lines:
        return None, set()
    return "\n".join(lines)[:2000], pings


def empathy_step(tr: Transition) -> str | None:
    """What the empathy announcement asks for: "listener" (the speaker picks one) or "heard", or None."""
    if tr.state.settings.format != CircleFormat.EMPATHY:
        return None
    for effect in reversed(tr.effects):
        if isinstance(effect, (rules.ReflectionStarted, rules.ConfirmRequested)):
            return "heard" if tr.state.phase in (Phase.REFLECTING, Phase.CONFIRMING) else None
        if isinstance(effect, rules.TurnStarted) and effect.phase == Phase.SPEAKING:
            return "listener" if tr.state.phase == Phase.SPEAKING and tr.state.listener is None else None
        if isinstance(effect, (rules.TurnEnded, CircleEnded, rules.ListenerChosen)):
            return None
    return None


CARD_EFFECTS = (rules.MemberJoined, rules.MemberLeft, rules.CircleStarted, rules.RoundOpened, CircleEnded)


class CircleService:
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self.keeper = CircleKeeper(bot.store, bot.scheduler, self.on_timer)
        self.active_by_channel: dict[int, int] = {}

    def _lock(self, circle_id: int) -> asyncio.Lock:
        return self.keeper.lock(circle_id)

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    # Finding circles ----------------------------------------------------------------------------------------

    async def active_in(self, channel_id: int) -> Loaded:
        row = await self.bot.store.circles.active_in_channel(channel_id)
        if row is None:
            raise UserFacingError(texts.NO_CIRCLE)
        return Loaded(row, CircleState.from_json(row.state))

    async def load(self, circle_id: int) -> Loaded | None:
        return await self.keeper.load(circle_id)

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
        kind = channel_kind(channel)
        if kind is None:
            raise UserFacingError(texts.NOT_A_CIRCLE_CHANNEL)
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
            circle_id = await self.bot.store.circles.create(
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
        self.active_by_channel[channel.id] = circle_id
        try:
            message = await channel.send(embed=card_embed(state, kind), view=card_view(circle_id, state.status))
        except discord.HTTPException:
            await self.bot.store.circles.save(
                circle_id,
                status=Status.ENDED.value,
                state=state.to_json(),
                next_deadline=None,
                ended_at=self.now,
            )
            self.active_by_channel.pop(channel.id, None)
            raise UserFacingError(texts.permission_problem("post the circle's card", "Send Messages")) from None
        await self.keeper.set_card(circle_id, message.id)
        opened = await self.keeper.load(circle_id)
        if opened is not None:
            # Round 1's prompt is drawn now, so `/prompt redraw` can change it before the circle starts.
            await self.prompt_for_round(opened.row, 1, settings)
        return circle_id

    # Changing a circle --------------------------------------------------------------------------------------

    async def change(
        self,
        circle_id: int,
        step: Step,
        *,
        interaction: discord.Interaction | None = None,
        reply: str | None = None,
    ) -> Transition | None:
        """Run one domain step on a circle and make Discord match. `reply` answers the interaction first.

        Returns None when the circle ended meanwhile (someone else's change got there first).
        """
        async with self._lock(circle_id):
            now = self.now
            done = await self.keeper.step(circle_id, step, now)
            if done is None:
                if interaction is not None:
                    raise UserFacingError(texts.ALREADY_CLOSED)
                return None
            before, tr = done
            if tr.state.status == Status.ENDED:
                self.active_by_channel.pop(before.row.channel_id, None)
            if interaction is not None and reply is not None:
                try:
                    await send_private(interaction, reply)
                except discord.HTTPException as exc:
                    # The change is saved: Discord must still be put in step even if the reply came too late.
                    log.info("circle %s: could not answer an interaction (%s)", circle_id, exc.status)
            await self._apply(before, tr, now, interaction=interaction)
            self.bot.dispatch("circle_changed", before.row.id, tr)
            return tr

    async def on_timer(self, circle_id: int) -> None:
        await self.change(circle_id, rules.advance)

    # Applying effects on Discord ----------------------------------------------------------------------------

    def _channel(self, row: CircleRow) -> Any:
        return self.bot.get_channel(row.channel_id)

    async def _floor(self, row: CircleRow, channel: Any) -> TextFloor | VoiceFloor | StageFloor:
        if row.channel_kind == "stage":
            return StageFloor(self.bot, row.id, channel)
        config = await self.bot.store.guilds.get(row.guild_id)
        if row.channel_kind == "voice":
            return VoiceFloor(self.bot, row.id, channel, config.facilitator_role_id)
        return TextFloor(self.bot, row.id, channel, config.facilitator_role_id)

    def _locked(self, row: CircleRow, state: CircleState) -> bool:
        return (
            row.channel_kind == "text"
            and state.settings.enforcement == Enforcement.STRICT
            and state.status in (Status.RUNNING, Status.PAUSED)
        )

    async def sync_floor(self, row: CircleRow, state: CircleState) -> None:
        """Make the channel match the circle: overwrites in text, mutes in voice, speakers on a stage."""
        channel = self._channel(row)
        if channel is None or row.channel_kind == "thread":
            return
        floor = await self._floor(row, channel)
        if isinstance(floor, TextFloor):
            await floor.reconcile(speakers(state), locked=self._locked(row, state))
            return
        active = state.status in (Status.RUNNING, Status.PAUSED)
        excused = await self.bot.store.attendance.left_circle(row.id) if active else set()
        await floor.reconcile(speakers(state), active=active, excused=excused - set(state.participants))

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
        text, pings = announcement(loaded.state, tr, now, await self._round_prompts(row, tr))
        if text:
            try:
                await channel.send(
                    text,
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(u) for u in pings]),
                    view=await self._empathy_view(row, tr.state, empathy_step(tr)),
                )
            except discord.Forbidden:
                problems.append(texts.permission_problem("post in the circle's channel", "Send Messages"))
            except discord.HTTPException:
                problems.append(texts.discord_problem("post the turn announcement"))
        if any(isinstance(e, CARD_EFFECTS) for e in tr.effects):
            await self._refresh_card(row, channel, tr.state)
        if problems:
            await self.tell_facilitator(row, "\n".join(problems), interaction=interaction)

    async def _empathy_view(self, row: CircleRow, state: CircleState, step: str | None) -> discord.ui.View:
        if step == "heard":
            return heard_view(row.id)
        if step == "listener":
            candidates = rules.listener_candidates(state)
            return listener_view(row.id, [(u, await self._name(row.guild_id, u)) for u in candidates[:25]])
        return discord.utils.MISSING

    async def _name(self, guild_id: int, user_id: int) -> str:
        """A member's display name for a select menu (menus can't show mentions)."""
        guild = self.bot.get_guild(guild_id)
        member = guild.get_member(user_id) if guild is not None else None
        if member is not None:
            return member.display_name
        user = self.bot.get_user(user_id)
        if user is not None:
            return user.display_name
        try:
            if guild is not None:
                return (await guild.fetch_member(user_id)).display_name
        except discord.HTTPException:
            pass
        return "a member of the circle"

    async def prompt_for_round(self, row: CircleRow, round_: int, settings: CircleSettings) -> str | None:
        """The rendered prompt that opens `round_` (the prompts feature records it), or None without one."""
        prompts = self.bot.features.prompts
        prompt = await prompts.prompt_for_round(row.id, row.guild_id, round_, settings.rounds, settings.deck)
        return None if prompt is None else prompts.render(prompt)

    async def _round_prompts(self, row: CircleRow, tr: Transition) -> dict[int, str]:
        found: dict[int, str] = {}
        for effect in tr.effects:
            if isinstance(effect, rules.RoundOpened):
                prompt = await self.prompt_for_round(row, effect.round, tr.state.settings)
                if prompt is not None:
                    found[effect.round] = prompt
        return found

    async def _refresh_card(self, row: CircleRow, channel: Any, state: CircleState) -> None:
        if row.card_message_id is None:
            return
        try:
            await channel.get_partial_message(row.card_message_id).edit(
                embed=card_embed(state, row.channel_kind), view=card_view(row.id, state.status)
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
        # Read afresh: the facilitator may have deleted their data since (the cached row would still name them).
        fresh = await self.bot.store.circles.get(row.id)
        facilitator = fresh.facilitator_user_id if fresh is not None else None
        if facilitator is not None:
            try:
                user = self.bot.get_user(facilitator) or await self.bot.fetch_user(facilitator)
                await user.send(f"About your circle in <#{row.channel_id}>: {text}", view=view, allowed_mentions=QUIET)
                return
            except discord.HTTPException:
                pass
        log.warning("circle %s: could not reach a facilitator about a problem", row.id)

    # Restarts -----------------------------------------------------------------------------------------------

    def _restore_step(self, row: CircleRow) -> Step:
        """A circle whose channel is gone from a server the bot can see ends; one in an unavailable server waits."""
        guild = self.bot.get_guild(row.guild_id)
        if guild is None or guild.unavailable:
            return rules.advance
        return rules.end if self._channel(row) is None else rules.advance

    async def restore_all(self) -> int:
        """At start-up: catch every active circle up with the time that passed, repair Discord, re-arm timers.

        All circles are caught up and saved in one transaction first; Discord is put right afterwards, circle
        by circle, so a slow or failing Discord never holds up the timers.
        """
        now = self.now
        caught_up = await self.keeper.restore(self._restore_step, now)
        restored = 0
        for before, tr in caught_up:
            if tr.state.status == Status.ENDED:
                continue
            self.active_by_channel[before.row.channel_id] = before.row.id
            restored += 1
        for before, tr in caught_up:
            async with self._lock(before.row.id):
                await self._apply(before, tr, now, interaction=None)
        await undo_left_behind(self.bot)
        for row in await self.bot.store.circles.ended_with_overwrites():
            try:
                await self.sync_floor(row, CircleState.from_json(row.state))
            except FloorError as exc:
                log.warning("circle %s: could not put the channel back after a restart: %s", row.id, exc)
        return restored

    # People -------------------------------------------------------------------------------------------------

    async def press(self, interaction: discord.Interaction, action: str, circle_id: int) -> None:
        user = interaction.user.id
        if action == "retry":
            # Also after the end: putting the channel back (or lifting a mute) may be what Discord refused.
            row = await self.bot.store.circles.get(circle_id)
            if row is None:
                raise UserFacingError(texts.ALREADY_CLOSED)
            await access.require_in_guild(self.bot, user, row.guild_id, Standing.FACILITATOR)
            await self.retry(interaction, circle_id)
            return
        loaded = await self.load(circle_id)
        if loaded is None or loaded.state.status == Status.ENDED:
            raise UserFacingError(texts.ALREADY_CLOSED)
        if action == "join":
            await self.join(interaction, loaded)
        elif action == "leave":
            await self.change(
                loaded.row.id, lambda s, t: rules.leave(s, user, t), interaction=interaction, reply=texts.LEFT
            )
        elif action == "done":
            if loaded.state.holder != user:
                raise UserFacingError(texts.HOLDER_ONLY)
            await self.change(
                loaded.row.id,
                lambda s, t: rules.finish_turn(s, user, t),
                interaction=interaction,
                reply=texts.DONE_THANKS,
            )
        elif action == "pass":
            await self.pass_turn(interaction, loaded)
        elif action in ("heard", "notyet"):
            if loaded.state.holder != user:
                raise UserFacingError(texts.SPEAKER_ONLY)
            heard = action == "heard"
            await self.change(
                circle_id,
                lambda s, t: rules.confirm_heard(s, user, heard, t),
                interaction=interaction,
                reply=texts.HEARD_REPLY if heard else texts.NOT_QUITE_REPLY,
            )
        elif action == "end":
            # This button may be pressed in a DM, where the interaction has no server: check in the circle's.
            await access.require_in_guild(self.bot, user, loaded.row.guild_id, Standing.FACILITATOR)
            await self.change(loaded.row.id, rules.end, interaction=interaction, reply=texts.ENDED_REPLY)

    async def choose_listener(self, interaction: discord.Interaction, circle_id: int, listener: int) -> None:
        user = interaction.user.id
        await self.change(
            circle_id,
            lambda s, t: rules.choose_listener(s, user, listener, t),
            interaction=interaction,
            reply=texts.LISTENER_REPLY.format(listener=texts.mention(listener)),
        )

    async def join(self, interaction: discord.Interaction, loaded: Loaded) -> None:
        # The group's agreements come first (cogs/guidelines).
        if not await self.bot.features.guidelines.rules_accepted(interaction, lambda again: self.join(again, loaded)):
            return
        user = interaction.user.id
        reply = texts.JOINED if loaded.state.status == Status.GATHERING else texts.JOINED_MID
        await self.change(loaded.row.id, lambda s, t: rules.join(s, user, t), interaction=interaction, reply=reply)

    async def pass_turn(self, interaction: discord.Interaction, loaded: Loaded) -> None:
        user = interaction.user.id
        if user not in loaded.state.participants:
            raise UserFacingError(texts.NOT_IN_CIRCLE)
        if loaded.state.holder != user:
            reply = texts.PASS_NOTED
        elif loaded.state.settings.format == CircleFormat.EMPATHY and loaded.state.phase == Phase.SPEAKING:
            reply = texts.SPEAKER_PASSED
        else:
            reply = texts.DONE_THANKS
        await self.change(loaded.row.id, lambda s, t: rules.pass_turn(s, user, t), interaction=interaction, reply=reply)

    async def retry(self, interaction: discord.Interaction, circle_id: int) -> None:
        async with self._lock(circle_id):
            # Read inside the lock: a turn may have changed since the button was pressed.
            row = await self.bot.store.circles.get(circle_id)
            if row is None:
                raise UserFacingError(texts.ALREADY_CLOSED)
            try:
                await self.sync_floor(row, CircleState.from_json(row.state))
            except FloorError as exc:
                raise UserFacingError(
                    texts.permission_problem("hand the stick on", exc.permission)
                    if exc.permission
                    else texts.discord_problem("hand the stick on")
                ) from None
        await send_private(interaction, "Thank you. The channel is in step with the circle again.")

    async def start(self, interaction: discord.Interaction | None, loaded: Loaded, *, from_hands: bool = False) -> None:
        row = loaded.row
        channel = self._channel(row)
        if channel is None:
            raise UserFacingError("I can't see this circle's channel any more.")
        if from_hands and row.channel_kind != "stage":
            raise UserFacingError(texts.HANDS_STAGE_ONLY)
        keeps_floor = row.channel_kind in ("voice", "stage") or (
            row.channel_kind == "text" and loaded.state.settings.enforcement == Enforcement.STRICT
        )
        if keeps_floor:
            missing = (await self._floor(row, channel)).missing_permissions()
            if missing:
                raise UserFacingError(texts.permission_problem("start the circle", ", ".join(missing)))
        newcomers = await self.present_to_join(row, channel, loaded.state, from_hands=from_hands)

        def join_then_start(state: CircleState, now: datetime) -> Transition:
            effects: list[Any] = []
            for user_id in newcomers:
                if user_id in state.participants:
                    continue  # they pressed Join while the start was on its way
                joined = rules.join(state, user_id, now)
                state, effects = joined.state, [*effects, *joined.effects]
            started = rules.start(state, now)
            return Transition(started.state, (*effects, *started.effects))

        await self.change(row.id, join_then_start, interaction=interaction, reply=texts.STARTED)

    async def present_to_join(self, row: CircleRow, channel: Any, state: CircleState, *, from_hands: bool) -> list[int]:
        """Voice and stage: the people already in the channel join the circle when it starts.

        Facilitators hold the space and are left out (they can join like anyone if they want a turn). On a stage
        with `from_hands`, only those who raised their hand join, in the order they raised it.
        """
        if row.channel_kind not in ("voice", "stage"):
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

    async def someone_moved(self, member: discord.Member, left: Any, joined: Any) -> None:
        """Someone joined, left or moved between voice channels: keep the floor, and make an owed unmute."""
        for channel in (left, joined):
            circle_id = self.active_by_channel.get(channel.id) if channel is not None else None
            if circle_id is None:
                continue
            async with self._lock(circle_id):
                loaded = await self.load(circle_id)
                if loaded is None or loaded.state.status == Status.ENDED:
                    continue
                try:
                    await self.sync_floor(loaded.row, loaded.state)
                except FloorError as exc:
                    log.warning("circle %s: floor not in step after a voice move: %s", circle_id, exc)
        if joined is not None:
            await undo_pending(self.bot, member)

    def active_circle_in(self, channel_id: int) -> int | None:
        return self.active_by_channel.get(channel_id)

    async def remind_gently(self, facts: MessageFacts) -> None:
        """Gentle mode: a quiet DM to someone posting out of turn, at most once a minute, never a delete."""
        circle_id, message = facts.circle_id, facts.message
        if circle_id is None:
            return
        loaded = await self.load(circle_id)
        if loaded is None or loaded.state.settings.enforcement != Enforcement.GENTLE:
            return
        if loaded.state.status != Status.RUNNING or facts.member.id in speakers(loaded.state):
            return
        if facts.flagged:
            return  # someone who may be in crisis gets care (cogs/crisis), never a "wait your turn"
        if await access.is_facilitator_member(self.bot, facts.member.guild, facts.member):
            return
        now = self.now
        last = await self.bot.store.circles.last_reminder(circle_id, message.author.id)
        if last is not None and now - last < timedelta(minutes=1):
            return
        await self.bot.store.circles.set_reminder(circle_id, message.author.id, now)
        try:
            await message.author.send(texts.reminder(f"<#{message.channel.id}>"), allowed_mentions=QUIET)
        except discord.Forbidden:
            log.debug("gentle reminder not sent: DMs closed")
        except discord.HTTPException as exc:
            log.info("gentle reminder not sent (%s)", exc.status)
