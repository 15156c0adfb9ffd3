"""The circle's imperative shell: take one step under the circle's lock, then make Discord match it.

Every change to a circle (a command, a button, a timer, a restart) goes through `CircleShell.change`: the keeper
(`bot/circle_keeper.py`) loads the state, runs the domain step, saves it and arms the timer; then the floor is
kept, the step's one announcement posted and the card refreshed. The state is written before Discord is touched:
if Discord refuses something, the circle keeps its place and the floor is reconciled again at the next change, by
the facilitator's "Try again", or at the next start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot import access
from bot.access import Standing
from bot.circle_keeper import CircleKeeper, Loaded, Step
from bot.db.repos.circles import CircleRow
from bot.db.repos.guilds import GuildConfig
from bot.domain import circle
from bot.domain.circle import CircleSettings, CircleState, Status, Transition
from bot.errors import UserFacingError
from bot.replies import QUIET, send_private
from cogs.circles import announce, places, texts
from cogs.circles.announce import EmpathyAsk, Reply
from cogs.circles.card import card_embed, card_view, heard_view, listener_view, problem_view
from cogs.circles.floor import FloorError
from cogs.circles.voice import undo_left_behind, undo_pending

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)


def floor_problem(exc: FloorError) -> str:
    """What a facilitator reads when Discord refused to keep the floor."""
    if exc.permission:
        return texts.permission_problem("hand the stick on", exc.permission)
    return texts.discord_problem("hand the stick on")


class CircleShell:
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self.keeper = CircleKeeper(bot.store, bot.scheduler, self.on_timer)

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    async def load(self, circle_id: int) -> Loaded | None:
        return await self.keeper.load(circle_id)

    def channel(self, row: CircleRow) -> Any:
        return self.bot.get_channel(row.channel_id)

    # One step -----------------------------------------------------------------------------------------------

    async def change(
        self,
        circle_id: int,
        step: Step,
        *,
        interaction: discord.Interaction | None = None,
        reply: Reply | None = None,
    ) -> Transition | None:
        """Run one domain step on a circle and make Discord match. `reply` answers the interaction first.

        A step the rules refuse raises their `Refusal` before anything changes. Returns None when the circle
        ended meanwhile (someone else's change got there first).
        """
        async with self.keeper.lock(circle_id):
            now = self.now
            done = await self.keeper.step(circle_id, step, now)
            if done is None:
                if interaction is not None:
                    raise UserFacingError(texts.ALREADY_CLOSED)
                return None
            before, tr = done
            text = announce.reply_text(reply, tr)
            if interaction is not None and text is not None:
                try:
                    await send_private(interaction, text)
                except discord.HTTPException as exc:
                    # The change is saved: Discord must still be put in step even if the reply came too late.
                    log.info("circle %s: could not answer an interaction (%s)", circle_id, exc.status)
            await self._apply(before, tr, now, interaction=interaction)
            self.bot.dispatch("circle_changed", before.row.id, tr)
            return tr

    async def on_timer(self, circle_id: int) -> None:
        await self.change(circle_id, circle.advance)

    # Making Discord match -----------------------------------------------------------------------------------

    async def config_for(self, row: CircleRow) -> GuildConfig | None:
        """The server's settings when this circle's floor needs them (read once per change), else None."""
        return await self.bot.store.guilds.get(row.guild_id) if places.needs_config(row.channel_kind) else None

    async def sync_floor(self, row: CircleRow, state: CircleState, config: GuildConfig | None = None) -> None:
        """Make the channel match the circle: overwrites in text, mutes in voice, speakers on a stage."""
        channel = self.channel(row)
        if channel is None:
            return
        if config is None:
            config = await self.config_for(row)
        floor = places.floor_for(self.bot, row, channel, config)
        if floor is not None:
            await floor.reconcile(state)

    async def _apply(
        self, loaded: Loaded, tr: Transition, now: datetime, *, interaction: discord.Interaction | None
    ) -> None:
        row = loaded.row
        channel = self.channel(row)
        if channel is None:
            log.info("circle %s: its channel is gone", row.id)
            return
        problems: list[str] = []
        try:
            await self.sync_floor(row, tr.state, await self.config_for(row))
        except FloorError as exc:
            log.warning("circle %s: floor not in step: %s", row.id, exc)
            problems.append(floor_problem(exc))
        text, pings = announce.announcement(loaded.state, tr, now, await self._round_prompts(row, tr))
        if text:
            try:
                await channel.send(
                    text,
                    allowed_mentions=discord.AllowedMentions(users=[discord.Object(u) for u in pings]),
                    view=await self._empathy_view(row, tr.state, announce.empathy_step(tr)),
                )
            except discord.Forbidden:
                problems.append(texts.permission_problem("post in the circle's channel", places.SEND_MESSAGES))
            except discord.HTTPException:
                problems.append(texts.discord_problem("post the turn announcement"))
        if announce.changes_card(tr):
            await self.refresh_card(row, channel, tr.state)
        if problems:
            await self.tell_facilitator(row, "\n".join(problems), interaction=interaction)

    async def _empathy_view(self, row: CircleRow, state: CircleState, ask: EmpathyAsk | None) -> discord.ui.View:
        if ask == "heard":
            return heard_view(row.id)
        if ask == "listener":
            candidates = circle.listener_candidates(state)
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
        return texts.SOMEONE_IN_THE_CIRCLE

    async def prompt_for_round(self, row: CircleRow, round_: int, settings: CircleSettings) -> str | None:
        """The rendered prompt that opens `round_` (the prompts feature records it), or None without one."""
        prompts = self.bot.features.prompts
        prompt = await prompts.prompt_for_round(row.id, row.guild_id, round_, settings.rounds, settings.deck)
        return None if prompt is None else prompts.render(prompt)

    async def _round_prompts(self, row: CircleRow, tr: Transition) -> dict[int, str]:
        found: dict[int, str] = {}
        for effect in tr.effects:
            if isinstance(effect, circle.RoundOpened):
                prompt = await self.prompt_for_round(row, effect.round, tr.state.settings)
                if prompt is not None:
                    found[effect.round] = prompt
        return found

    async def refresh_card(self, row: CircleRow, channel: Any, state: CircleState) -> None:
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
                await user.send(texts.about_your_circle(row.channel_id, text), view=view, allowed_mentions=QUIET)
                return
            except discord.HTTPException:
                pass
        log.warning("circle %s: could not reach a facilitator about a problem", row.id)

    async def retry(self, circle_id: int) -> None:
        """The facilitator's **Try again**: put the channel in step with the circle as it is now (also ended)."""
        async with self.keeper.lock(circle_id):
            # Read inside the lock: a turn may have changed since the button was pressed.
            row = await self.bot.store.circles.get(circle_id)
            if row is None:
                raise UserFacingError(texts.ALREADY_CLOSED)
            try:
                await self.sync_floor(row, CircleState.from_json(row.state))
            except FloorError as exc:
                raise UserFacingError(floor_problem(exc)) from None

    # Restarts and voice moves -------------------------------------------------------------------------------

    def _restore_step(self, row: CircleRow) -> Step:
        """A circle whose channel is gone from a server the bot can see ends; one in an unavailable server waits."""
        guild = self.bot.get_guild(row.guild_id)
        if guild is None or guild.unavailable:
            return circle.advance
        return circle.end if self.channel(row) is None else circle.advance

    async def restore_all(self, guilds: Callable[[int], bool] | None = None) -> int:
        """At start-up: catch every active circle up with the time that passed, repair Discord, re-arm timers.

        All circles are caught up and saved in one transaction first; Discord is put right afterwards, circle
        by circle, so a slow or failing Discord never holds up the timers. `guilds` picks the servers (a shard
        restores its own once it is ready); by default, all.
        """
        now = self.now
        caught_up = await self.keeper.restore(self._restore_step, now, guilds=guilds)
        for before, tr in caught_up:
            async with self.keeper.lock(before.row.id):
                await self._apply(before, tr, now, interaction=None)
        await undo_left_behind(self.bot, guilds)
        for row in await self.bot.store.circles.ended_with_overwrites():
            if guilds is not None and not guilds(row.guild_id):
                continue
            try:
                await self.sync_floor(row, self._ended_state(row))
            except FloorError as exc:
                log.warning("circle %s: could not put the channel back after a restart: %s", row.id, exc)
        for row in self.keeper.unreadable:
            self.keeper.closed(row.id, row.channel_id)
            await self.tell_facilitator(row, texts.UNREADABLE_AT_RESTART)
        self.keeper.unreadable.clear()
        return sum(1 for _, tr in caught_up if tr.state.status != Status.ENDED)

    def _ended_state(self, row: CircleRow) -> CircleState:
        """An ended circle's state; for one whose saved state is damaged, any ended state puts the channel back."""
        try:
            return CircleState.from_json(row.state)
        except Exception:
            return circle.end(circle.open_circle(CircleSettings()), self.now).state

    async def channel_deleted(self, channel_id: int) -> None:
        circle_id = self.keeper.active_in(channel_id)
        if circle_id is None:
            return
        log.info("circle %s: its channel was deleted; ending it", circle_id)
        await self.change(circle_id, circle.end)
        for record in await self.bot.store.circles.overwrites(circle_id):
            target = record.role_id if record.role_id is not None else record.user_id
            if target is not None:
                await self.bot.store.circles.forget_overwrite(circle_id, target)

    async def someone_moved(self, member: discord.Member, left: Any, joined: Any) -> None:
        """Someone joined, left or moved between voice channels: keep the floor, and make an owed unmute."""
        for channel in (left, joined):
            circle_id = self.keeper.active_in(channel.id) if channel is not None else None
            if circle_id is None:
                continue
            async with self.keeper.lock(circle_id):
                loaded = await self.load(circle_id)
                if loaded is None or loaded.state.status == Status.ENDED:
                    continue
                try:
                    await self.sync_floor(loaded.row, loaded.state)
                except FloorError as exc:
                    log.warning("circle %s: floor not in step after a voice move: %s", circle_id, exc)
        if joined is not None:
            await undo_pending(self.bot, member)
