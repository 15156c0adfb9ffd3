"""What the bot needs from Discord: one list of permissions (with why), the intents, and the invite link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord


@dataclass(frozen=True, slots=True)
class Need:
    flag: str  # the discord.Permissions attribute
    words: str  # the permission's name as Discord's settings show it
    why: str


REQUIRED_PERMISSIONS: tuple[Need, ...] = (
    Need("view_channel", "View Channels", "see the circle channels"),
    Need("send_messages", "Send Messages", "post the circle card and turn announcements"),
    Need("send_messages_in_threads", "Send Messages in Threads", "run circles and prompts in threads"),
    Need("create_public_threads", "Create Public Threads", "open a thread for replies to a scheduled prompt"),
    Need("embed_links", "Embed Links", "show the circle card and mod-log entries"),
    Need("attach_files", "Attach Files", "send attendance summaries as CSV"),
    Need("read_message_history", "Read Message History", "find its own circle card after a restart"),
    Need(
        "manage_roles",
        "Manage Roles",
        "hand the talking stick in text channels (channel permission overwrites)",
    ),
    Need("manage_messages", "Manage Messages", "remove messages that a server's filters delete"),
    Need("mute_members", "Mute Members", "hand the talking stick in voice and stage channels"),
    Need("move_members", "Move Members", "moderate stage channels for a stage circle"),
    Need("moderate_members", "Timeout Members", "apply the warning ladder's timeouts"),
    Need("create_events", "Create Events", "list recurring circles in the server's Events"),
    Need("manage_events", "Manage Events", "update and cancel the events of recurring circles"),
)

# Asked for only where a feature needs them, never in the invite: a recurring circle's Event in a voice channel
# needs Connect there, and one on a stage needs Manage Channels (README: "Not asked for on purpose").
EVENT_ONLY_PERMISSIONS: tuple[Need, ...] = (
    Need("connect", "Connect", "list a voice circle in the server's Events"),
    Need("manage_channels", "Manage Channels", "list a stage circle in the server's Events"),
)

NEEDS: dict[str, Need] = {need.flag: need for need in (*REQUIRED_PERMISSIONS, *EVENT_ONLY_PERMISSIONS)}

PRIVILEGED_INTENTS: tuple[tuple[str, str], ...] = (
    (
        "Message Content",
        "read messages in circle channels for gentle-mode reminders, the server's filters and the crisis screen",
    ),
)


def permissions_needed() -> discord.Permissions:
    return discord.Permissions(**{need.flag: True for need in REQUIRED_PERMISSIONS})


def intents() -> discord.Intents:
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.dm_messages = True
    chosen.voice_states = True
    chosen.guild_scheduled_events = True
    chosen.message_content = True
    return chosen


def invite_url(application_id: int | None) -> str:
    client_id = str(application_id) if application_id else "YOUR_APPLICATION_ID"
    return (
        "https://discord.com/oauth2/authorize"
        f"?client_id={client_id}&scope=bot%20applications.commands&permissions={permissions_needed().value}"
    )


def missing_in(permissions: discord.Permissions, needs: tuple[Need, ...] | list[Need]) -> list[Need]:
    """The needs that `permissions` does not grant, in the list's order."""
    return [need for need in needs if not getattr(permissions, need.flag)]


def describe(needs: list[Need] | tuple[Need, ...]) -> str:
    return "\n".join(f"• **{need.words}**: to {need.why}" for need in needs)


TEXT_NEEDS = ("view_channel", "send_messages", "embed_links", "manage_roles")
VOICE_NEEDS = ("view_channel", "send_messages", "embed_links", "mute_members")


def channel_needs(channel: Any) -> tuple[Need, ...]:
    flags = VOICE_NEEDS if isinstance(channel, discord.VoiceChannel | discord.StageChannel) else TEXT_NEEDS
    return tuple(NEEDS[flag] for flag in flags)


def readiness(guild: discord.Guild, application_id: int | None) -> str:
    """What the bot lacks, per circle channel and server-wide, in words; or that all is ready."""
    lines: list[str] = []
    channels = [c for c in guild.channels if isinstance(c, discord.TextChannel | discord.VoiceChannel)]
    for channel in sorted(channels, key=lambda c: (c.position, c.id)):
        missing = missing_in(channel.permissions_for(guild.me), channel_needs(channel))
        if missing:
            lines.append(f"{channel.mention} is missing:\n{describe(missing)}")
    server_missing = missing_in(guild.me.guild_permissions, REQUIRED_PERMISSIONS)
    if server_missing:
        lines.append(
            f"Server-wide I'm missing:\n{describe(server_missing)}\n"
            f"Re-invite me with everything I need: <{invite_url(application_id)}>"
        )
    if not lines:
        return "✅ **Ready.** I have everything I need in every circle channel."
    return "**Readiness check**\n" + "\n".join(lines)
