"""Keeping the floor in a text channel: only who may speak (and facilitators) can post.

What the overwrites should be is the domain's (`bot.domain.floor.overwrite_steps`); this module reads what
Discord shows and what the bot recorded, makes the steps it is given, and records each target's original value
in SQLite before its first change. Starting, passing the stick, ending, retrying after a Discord error and
repairing after a restart are all the same call, `TextFloor.reconcile(state)`, so none of them can drift apart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.domain import floor
from bot.domain.circle import CircleState
from bot.domain.floor import MEMBER, ROLE, Overwrite, Place, Recorded
from bot.permissions import NEEDS

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)

MANAGE_ROLES_WORDS = NEEDS["manage_roles"].words


class FloorError(Exception):
    """Discord refused a change to the channel; `permission` names what the bot lacks, in words."""

    def __init__(self, permission: str | None, detail: str) -> None:
        super().__init__(detail)
        self.permission = permission


def _current(channel: discord.TextChannel) -> dict[int, Overwrite]:
    found: dict[int, Overwrite] = {}
    for target, value in channel.overwrites.items():
        allow, deny = value.pair()
        kind = ROLE if isinstance(target, discord.Role) else MEMBER
        found[target.id] = Overwrite(kind, allow.value, deny.value)
    return found


class TextFloor:
    def __init__(
        self, bot: CircleBot, circle_id: int, channel: discord.TextChannel, facilitator_role_id: int | None
    ) -> None:
        self.bot = bot
        self.circle_id = circle_id
        self.channel = channel
        self.facilitator_role_id = facilitator_role_id

    async def reconcile(self, state: CircleState) -> int:
        """Bring the channel's overwrites to what the circle needs now; return how many calls it took."""
        guild = self.channel.guild
        recorded = {
            r.target_id: Recorded(Overwrite(MEMBER if r.user_id is not None else ROLE, r.allow, r.deny), r.existed)
            for r in await self.bot.store.circles.overwrites(self.circle_id)
        }
        place = Place(everyone=guild.id, bot=guild.me.id, facilitator_role=self.facilitator_role_id)
        steps = floor.overwrite_steps(
            _current(self.channel), recorded, place, floor.speakers(state), lock=floor.locked("text", state)
        )
        calls = 0
        for step in steps:
            if step.remember is not None:
                original = step.remember.value
                await self.bot.store.circles.remember_overwrite(
                    self.circle_id,
                    self.channel.id,
                    role_id=step.target if original.kind == ROLE else None,
                    user_id=step.target if original.kind == MEMBER else None,
                    existed=step.remember.existed,
                    allow=original.allow,
                    deny=original.deny,
                )
            if step.put is not None:
                await self._put(step.target, step.put)
                calls += 1
            elif step.delete:
                await self._delete(step.target)
                calls += 1
            if step.forget:
                await self.bot.store.circles.forget_overwrite(self.circle_id, step.target)
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
            raise FloorError(MANAGE_ROLES_WORDS, f"changing a permission in #{self.channel.name}: {exc.text}") from exc
        except discord.HTTPException as exc:
            raise FloorError(None, f"Discord answered {exc.status} while changing a permission") from exc

    async def _delete(self, target: int) -> None:
        try:
            await self.bot.http.delete_channel_permissions(self.channel.id, target, reason="Empathy circle ended")
        except discord.NotFound:
            return
        except discord.Forbidden as exc:
            raise FloorError(MANAGE_ROLES_WORDS, f"putting back a permission in #{self.channel.name}") from exc
        except discord.HTTPException as exc:
            raise FloorError(None, f"Discord answered {exc.status} while putting back a permission") from exc
