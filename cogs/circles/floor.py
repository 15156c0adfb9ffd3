"""Keeping the floor in a text channel: only the stick's holder (and facilitators) can post.

Everything here is one idempotent operation, `TextFloor.reconcile(speakers, locked)`: it computes, for every
overwrite the circle touches, the value it should have now, changes only those that differ, and records each
target's original value in SQLite before its first change. Starting, passing the stick, ending, retrying after
a Discord error and repairing after a restart are all the same call, so none of them can drift apart. A turn
change touches two overwrites (old holder back, new holder allowed) whatever the circle's size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.db.repos.circles import OverwriteRecord

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

SEND = discord.Permissions(send_messages=True).value
VIEW = discord.Permissions(view_channel=True).value
# With Manage Roles allowed on its own overwrite, Discord lets the bot keep bits it lacks itself in other
# overwrites (say @everyone's deny of a permission the bot was never given) while it adds the send deny.
MANAGE_ROLES = discord.Permissions(manage_roles=True).value
ROLE, MEMBER = 0, 1


class FloorError(Exception):
    """Discord refused a change to the channel; `permission` names what the bot lacks, in words."""

    def __init__(self, permission: str | None, detail: str) -> None:
        super().__init__(detail)
        self.permission = permission


@dataclass(frozen=True, slots=True)
class Overwrite:
    kind: int
    allow: int
    deny: int


def _current(channel: discord.TextChannel | discord.Thread | discord.VoiceChannel) -> dict[int, Overwrite]:
    found: dict[int, Overwrite] = {}
    overwrites = channel.parent.overwrites if isinstance(channel, discord.Thread) and channel.parent else {}
    if not isinstance(channel, discord.Thread):
        overwrites = channel.overwrites
    for target, value in overwrites.items():
        allow, deny = value.pair()
        kind = ROLE if isinstance(target, discord.Role) else MEMBER
        found[target.id] = Overwrite(kind, allow.value, deny.value)
    return found


class TextFloor:
    def __init__(
        self,
        bot: CircleBot,
        circle_id: int,
        channel: discord.TextChannel | discord.Thread | discord.VoiceChannel,
        facilitator_role_id: int | None,
    ) -> None:
        self.bot = bot
        self.circle_id = circle_id
        self.channel = channel
        self.facilitator_role_id = facilitator_role_id

    def missing_permissions(self) -> list[str]:
        """What the bot lacks in this channel to lock it, in Discord's words."""
        me = self.channel.guild.me
        perms = self.channel.permissions_for(me)
        missing = []
        if not perms.view_channel:
            missing.append("View Channel")
        if not perms.send_messages:
            missing.append("Send Messages")
        if not (perms.manage_roles or perms.administrator):
            missing.append("Manage Roles")
        return missing

    def _wanted(self, target: int, original: Overwrite, speakers: set[int], locked: bool) -> Overwrite:
        if not locked:
            return original
        guild = self.channel.guild
        allow, deny = original.allow, original.deny
        if target == guild.id:  # @everyone
            return Overwrite(ROLE, allow & ~SEND, deny | SEND)
        if target == guild.me.id:
            return Overwrite(MEMBER, allow | SEND | VIEW | MANAGE_ROLES, deny & ~(SEND | VIEW | MANAGE_ROLES))
        if target == self.facilitator_role_id:
            return Overwrite(ROLE, allow | SEND, deny & ~SEND)
        if original.kind == MEMBER and target in speakers:
            return Overwrite(MEMBER, allow | SEND, deny & ~SEND)
        if allow & SEND:
            # A role or member overwrite that allows sending would beat the @everyone deny: neutralise it.
            return Overwrite(original.kind, allow & ~SEND, deny)
        return original

    async def reconcile(self, speakers: set[int], *, locked: bool) -> int:
        """Bring the channel's overwrites to what the circle needs now; return how many calls it took."""
        current = _current(self.channel)
        records = {r.target_id: r for r in await self.bot.store.circles.overwrites(self.circle_id)}
        guild = self.channel.guild
        targets: list[int] = list(records)
        if locked:
            lock_targets = [guild.me.id]
            if self.facilitator_role_id:
                lock_targets.append(self.facilitator_role_id)
            lock_targets += [t for t, o in current.items() if o.allow & SEND]
            lock_targets.append(guild.id)
            for target in lock_targets + sorted(speakers):
                if target not in targets:
                    targets.append(target)
        else:
            # Unlock @everyone first, so the channel is open again as soon as possible.
            targets.sort(key=lambda t: t != guild.id)
        calls = 0
        for target in targets:
            record = records.get(target)
            if record is not None:
                original = Overwrite(MEMBER if record.user_id is not None else ROLE, record.allow, record.deny)
                existed = record.existed
            elif target in current:
                original, existed = current[target], True
            else:
                kind = ROLE if (target == guild.id or target == self.facilitator_role_id) else MEMBER
                original, existed = Overwrite(kind, 0, 0), False
            wanted = self._wanted(target, original, speakers, locked)
            now = current.get(target)
            if wanted == original:
                if existed and now != original:
                    await self._put(target, original)
                    calls += 1
                elif not existed and now is not None:
                    await self._delete(target)
                    calls += 1
                if record is not None:
                    await self.bot.store.circles.forget_overwrite(self.circle_id, target)
                continue
            if record is None:
                await self.bot.store.circles.remember_overwrite(
                    self.circle_id,
                    self.channel.id,
                    role_id=target if original.kind == ROLE else None,
                    user_id=target if original.kind == MEMBER else None,
                    existed=existed,
                    allow=original.allow,
                    deny=original.deny,
                )
            if now != wanted:
                await self._put(target, wanted)
                calls += 1
        return calls

    async def _put(self, target: int, value: Overwrite) -> None:
        try:
            await self.bot.http.edit_channel_permissions(
                self.channel.id,
                target,
                str(value.allow),
                str(value.deny),
                0 if value.kind == ROLE else 1,
                reason="Empathy circle: talking stick",
            )
        except discord.Forbidden as exc:
            raise FloorError("Manage Roles", f"changing a permission in #{self.channel.name}: {exc.text}") from exc
        except discord.HTTPException as exc:
            raise FloorError(None, f"Discord answered {exc.status} while changing a permission") from exc

    async def _delete(self, target: int) -> None:
        try:
            await self.bot.http.delete_channel_permissions(self.channel.id, target, reason="Empathy circle ended")
        except discord.NotFound:
            return
        except discord.Forbidden as exc:
            raise FloorError("Manage Roles", f"putting back a permission in #{self.channel.name}") from exc
        except discord.HTTPException as exc:
            raise FloorError(None, f"Discord answered {exc.status} while putting back a permission") from exc


async def restore_records(bot: CircleBot, circle_id: int, records: list[OverwriteRecord]) -> None:
    """Put back overwrites of a circle whose channel the bot can no longer see in its cache (deleted channel)."""
    for record in records:
        await bot.store.circles.forget_overwrite(circle_id, record.target_id)
