"""Keeping the floor in voice and stage channels: only who may speak is heard.

Who stays muted (voice) and who is on stage (stage) is the domain's (`bot.domain.floor.kept_quiet`, `on_stage`);
each floor's one idempotent `reconcile(state)` compares that with what the bot did and what Discord shows, and
changes only what differs. A turn change is two calls whatever the circle's size: the old holder muted (or back
to the audience) and the new one unmuted (or invited to speak).

Every change the bot makes is recorded in SQLite first (`voice_changes`), so the bot only ever undoes its own
changes: a moderator's mute has no record and is never lifted. Discord refuses to unmute someone who is not
connected (400, code 40032), so such an unmute is kept as pending and made the next time the member is seen in
voice, in any channel of the server, even after a restart (`undo_pending`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import discord

from bot.access import has_role
from bot.domain import floor
from bot.domain.circle import CircleState
from bot.permissions import NEEDS
from cogs.circles.floor import FloorError

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

NOT_CONNECTED = 40032
T = TypeVar("T")
REASON = "Empathy circle: talking stick"
MUTE_MEMBERS_WORDS = NEEDS["mute_members"].words


def _is_facilitator(member: discord.Member, facilitator_role_id: int | None) -> bool:
    perms = member.guild_permissions
    return (
        member.guild.owner_id == member.id
        or perms.administrator
        or perms.manage_guild
        or has_role(member, facilitator_role_id)
    )


async def set_mute(bot: CircleBot, guild_id: int, user_id: int, mute: bool) -> bool:
    """Server-mute or unmute someone. False when they are not connected to voice (Discord's 40032)."""
    try:
        await bot.http.edit_member(guild_id, user_id, mute=mute, reason=REASON)
    except discord.Forbidden as exc:
        raise FloorError(MUTE_MEMBERS_WORDS, f"changing a server mute: {exc.text}") from exc
    except discord.HTTPException as exc:
        if exc.code == NOT_CONNECTED:
            return False
        raise FloorError(None, f"Discord answered {exc.status} while changing a server mute") from exc
    return True


class VoiceFloor:
    """Voice channel: everyone in the channel is server-muted during the circle except who may speak now."""

    def __init__(
        self, bot: CircleBot, circle_id: int, channel: discord.VoiceChannel, facilitator_role_id: int | None
    ) -> None:
        self.bot = bot
        self.circle_id = circle_id
        self.channel = channel
        self.facilitator_role_id = facilitator_role_id

    async def reconcile(self, state: CircleState) -> int:
        """Mute who should be muted now and unmute who should not; return how many calls it took."""
        guild = self.channel.guild
        now = self.bot.clock.now()
        present: dict[int, discord.Member] = {m.id: m for m in self.channel.members if not m.bot}
        facilitators = {u for u, m in present.items() if _is_facilitator(m, self.facilitator_role_id)}
        quiet_now = floor.kept_quiet(state, present, facilitators)
        # A mute the bot still owes someone here from another circle (a pending unmute) becomes this circle's.
        ours = {
            user_id: change
            for user_id, change in (await self.bot.store.voice.for_guild(guild.id, "mute")).items()
            if user_id in present or (change.circle_id == self.circle_id and not change.pending)
        }
        calls = 0
        refusals = _Refusals()
        for user_id, member in present.items():
            quiet = user_id in quiet_now
            muted = bool(member.voice and member.voice.mute)
            change = ours.get(user_id)
            if quiet and not muted:
                calls += 1
                await refusals.attempt(self._mute(user_id))
            elif quiet and muted and change is not None and (change.pending or change.circle_id != self.circle_id):
                await self.bot.store.voice.made(guild.id, user_id, "mute", self.circle_id, now)
            elif not quiet and change is not None:
                calls += await refusals.attempt(self._undo(user_id, muted=muted)) or 0
        for user_id in ours.keys() - present.keys():
            # They left the channel: unmute them where they are now, or when they are next seen in voice.
            calls += await refusals.attempt(self._undo(user_id, muted=True)) or 0
        refusals.raise_first()
        return calls

    async def _mute(self, user_id: int) -> None:
        guild_id = self.channel.guild.id
        # Recorded first: if the bot stops right after the call, it still knows this mute is its own to undo.
        await self.bot.store.voice.made(guild_id, user_id, "mute", self.circle_id, self.bot.clock.now())
        try:
            connected = await set_mute(self.bot, guild_id, user_id, True)
        except FloorError:
            await self.bot.store.voice.undone(guild_id, user_id, "mute")
            raise
        if not connected:
            await self.bot.store.voice.undone(guild_id, user_id, "mute")

    async def _undo(self, user_id: int, *, muted: bool) -> int:
        # `muted` comes from discord.py's cache, which lags behind the bot's own last call: with a record of a
        # mute, the unmute is always sent (harmless if they already are), and the record goes only once it is made.
        guild_id = self.channel.guild.id
        if await set_mute(self.bot, guild_id, user_id, False):
            await self.bot.store.voice.undone(guild_id, user_id, "mute")
        else:
            await self.bot.store.voice.mark_pending(guild_id, user_id, "mute")
        return 1


class _Refusals:
    """Keep going past one refusal, so one member Discord won't change never blocks the others."""

    def __init__(self) -> None:
        self.first: FloorError | None = None

    async def attempt(self, step: Awaitable[T]) -> T | None:
        try:
            return await step
        except FloorError as exc:
            self.first = self.first or exc
            return None

    def raise_first(self) -> None:
        if self.first is not None:
            raise self.first


class StageFloor:
    """Stage channel: the holder is brought on stage and the previous holder returned to the audience."""

    def __init__(self, bot: CircleBot, circle_id: int, channel: discord.StageChannel) -> None:
        self.bot = bot
        self.circle_id = circle_id
        self.channel = channel

    async def reconcile(self, state: CircleState) -> int:
        """Bring who may speak on stage and send the others back to the audience; return how many calls it took."""
        guild = self.channel.guild
        now = self.bot.clock.now()
        ours = await self.bot.store.voice.for_circle(self.circle_id, "speaker")
        present: dict[int, discord.Member] = {m.id: m for m in self.channel.members if not m.bot}
        wanted = floor.on_stage(state, present)
        calls = 0
        refusals = _Refusals()
        for user_id in sorted(ours.keys() - wanted):
            member = present.get(user_id)
            if member is not None and member.voice is not None and member.voice.channel == self.channel:
                calls += 1
                if await refusals.attempt(self._suppress(user_id, True)) is None:
                    continue  # refused: still on stage, so still the bot's to undo
            # Someone who left the stage is back in the audience when they return: nothing to undo.
            await self.bot.store.voice.undone(guild.id, user_id, "speaker")
        for user_id in sorted(wanted - ours.keys()):
            member = present[user_id]
            if member.voice is not None and not member.voice.suppress and not member.voice.requested_to_speak_at:
                continue  # already a speaker before the circle (a stage moderator, say): not the bot's to change
            await self.bot.store.voice.made(guild.id, user_id, "speaker", self.circle_id, now)
            calls += 1
            if await refusals.attempt(self._suppress(user_id, False)) is None:
                await self.bot.store.voice.undone(guild.id, user_id, "speaker")
        refusals.raise_first()
        return calls

    async def _suppress(self, user_id: int, suppress: bool) -> bool:
        try:
            await self.bot.http.edit_voice_state(
                self.channel.guild.id, user_id, {"channel_id": self.channel.id, "suppress": suppress}
            )
        except discord.Forbidden as exc:
            raise FloorError(MUTE_MEMBERS_WORDS, f"moving someone on or off the stage: {exc.text}") from exc
        except discord.HTTPException as exc:
            if exc.code == NOT_CONNECTED:
                return True
            raise FloorError(None, f"Discord answered {exc.status} while changing who is on stage") from exc
        return True


async def undo_pending(bot: CircleBot, member: discord.Member) -> None:
    """Someone is seen in voice: make any unmute the bot owes them (not if a circle here wants them quiet).

    Owed: a pending unmute, or a mute made for a circle that has ended (say an unmute Discord refused at the end).
    """
    change = await bot.store.voice.owed_unmute(member.guild.id, member.id)
    if change is not None:
        if member.voice is None or member.voice.channel is None:
            return
        try:
            done = await set_mute(bot, member.guild.id, member.id, False)
        except FloorError as exc:
            log.warning("could not make a pending unmute in server %s: %s", member.guild.id, exc)
            return
        if done:
            await bot.store.voice.undone(member.guild.id, member.id, "mute")


async def undo_left_behind(bot: CircleBot, guilds: Callable[[int], bool] | None = None) -> None:
    """At start-up: undo what circles that are no longer active left behind (they may have ended while down)."""
    for change in await bot.store.voice.left_behind():
        if guilds is not None and not guilds(change.guild_id):
            continue  # another shard's server: that shard puts it right when it is ready
        guild = bot.get_guild(change.guild_id)
        member = guild.get_member(change.user_id) if guild is not None else None
        channel = member.voice.channel if member is not None and member.voice is not None else None
        try:
            if change.kind == "speaker":
                circle = await bot.store.circles.get(change.circle_id)
                same_stage = circle is not None and channel is not None and channel.id == circle.channel_id
                if member is not None and isinstance(channel, discord.StageChannel) and same_stage:
                    await bot.http.edit_voice_state(
                        change.guild_id, change.user_id, {"channel_id": channel.id, "suppress": True}
                    )
                await bot.store.voice.undone(change.guild_id, change.user_id, "speaker")
            elif channel is not None and await set_mute(bot, change.guild_id, change.user_id, False):
                await bot.store.voice.undone(change.guild_id, change.user_id, "mute")
            else:
                await bot.store.voice.mark_pending(change.guild_id, change.user_id, "mute")
        except (FloorError, discord.HTTPException) as exc:
            log.warning("could not undo a voice change in server %s after a restart: %s", change.guild_id, exc)
