"""Where a circle may meet, what the bot needs there, and which floor keeps it.

A circle meets in a text channel, a thread (gentle only: threads have no overwrites of their own), a voice or a
stage channel. The bot checks what it needs before it opens a circle (post its card) and before it starts one
whose floor it keeps (lock a text channel, mute in voice, move people on a stage), and names what is missing in
Discord's own words, from `bot/permissions.py`: one spelling per permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.db.repos.circles import CircleRow
from bot.db.repos.guilds import GuildConfig
from bot.domain.circle import Enforcement
from bot.errors import UserFacingError
from bot.permissions import NEEDS, Need, missing_in
from cogs.circles import texts
from cogs.circles.floor import TextFloor
from cogs.circles.voice import StageFloor, VoiceFloor

if TYPE_CHECKING:
    from bot.app import CircleBot

Floor = TextFloor | VoiceFloor | StageFloor


def _needs(*flags: str) -> tuple[Need, ...]:
    return tuple(NEEDS[flag] for flag in flags)


TO_OPEN = _needs("view_channel", "send_messages", "embed_links")
TO_OPEN_IN_THREAD = _needs("send_messages_in_threads")
TO_LOCK_TEXT = _needs("view_channel", "send_messages", "manage_roles")
TO_KEEP_VOICE = _needs("view_channel", "send_messages", "mute_members")
FOR_EVENTS = _needs("create_events")
FOR_STAGE_EVENTS = _needs("manage_channels", "mute_members", "move_members")
FOR_VOICE_EVENTS = _needs("view_channel", "connect")
SEND_MESSAGES = NEEDS["send_messages"].words


def channel_kind(channel: Any) -> str | None:
    """text, thread, voice or stage; None for a channel a circle cannot meet in."""
    if isinstance(channel, discord.Thread):
        return "thread"
    if isinstance(channel, discord.StageChannel):
        return "stage"
    if isinstance(channel, discord.VoiceChannel):
        return "voice"
    if isinstance(channel, discord.TextChannel):
        return "text"
    return None


def _words(channel: Any, needs: tuple[Need, ...]) -> list[str]:
    return [need.words for need in missing_in(channel.permissions_for(channel.guild.me), needs)]


def missing_to_open(channel: Any, kind: str) -> list[str]:
    """What the bot lacks to post a circle's card and announcements there, in Discord's words."""
    return _words(channel, TO_OPEN + (TO_OPEN_IN_THREAD if kind == "thread" else ()))


def check_open(channel: Any, enforcement: Enforcement, action: str) -> str:
    """The channel's kind if a circle can meet there with this enforcement; otherwise a kind error.

    `action` names what was asked, for the sentence about a missing permission ("open a circle there").
    """
    kind = channel_kind(channel)
    if kind is None:
        raise UserFacingError(texts.NOT_A_CIRCLE_CHANNEL)
    if kind == "thread" and enforcement == Enforcement.STRICT:
        raise UserFacingError(texts.THREAD_STRICT)
    missing = missing_to_open(channel, kind)
    if missing:
        raise UserFacingError(texts.permission_problem(action, ", ".join(missing)))
    return kind


def keeps_floor(kind: str, enforcement: Enforcement) -> bool:
    """Whether the bot keeps the floor itself: voice and stage always, text when strict, threads never."""
    return kind in ("voice", "stage") or (kind == "text" and enforcement == Enforcement.STRICT)


def missing_to_keep_floor(channel: Any, kind: str) -> list[str]:
    """What the bot lacks to keep the floor there (lock the channel, or mute), in Discord's words."""
    return _words(channel, TO_LOCK_TEXT if kind == "text" else TO_KEEP_VOICE)


def missing_for_events(channel: Any, kind: str) -> list[str]:
    """What the bot lacks to list this channel's sessions in the server's Events (see the stand-in's rule)."""
    perms = channel.permissions_for(channel.guild.me)
    if perms.administrator:
        return []
    needs = FOR_EVENTS
    if kind == "stage":
        needs += FOR_STAGE_EVENTS
    elif kind == "voice":
        needs += FOR_VOICE_EVENTS
    return [need.words for need in missing_in(perms, needs)]


def floor_for(bot: CircleBot, row: CircleRow, channel: Any, config: GuildConfig | None) -> Floor | None:
    """The floor that keeps this circle's channel, or None for a thread (gentle reminders only).

    `config` is the server's, read once for the change at hand (a stage needs none: nobody is muted there).
    """
    role = config.facilitator_role_id if config is not None else None
    if row.channel_kind == "stage":
        return StageFloor(bot, row.id, channel)
    if row.channel_kind == "voice":
        return VoiceFloor(bot, row.id, channel, role)
    if row.channel_kind == "text":
        return TextFloor(bot, row.id, channel, role)
    return None


def needs_config(kind: str) -> bool:
    """Whether keeping this kind of floor reads the server's settings (its facilitator role)."""
    return kind in ("text", "voice")
