"""Discord's side of the world: the servers' channels, roles, members and voice states, and every message.

The first server is the stand-in's own (`guild`, where names like "Rosa" and "circle-room" are looked up first);
a scenario may bring more (`guilds`), each delivered on its shard by Discord's rule.

The state is kept as Discord's raw JSON, so it can be sent to the bot as it is. After a change the stand-in sends
the gateway event Discord would send (`feed_now`), so discord.py's cache stays true; permissions are read back
through that cache, computed by discord.py as Discord computes them.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import discord

import bot.testing.driver as driver
from bot.permissions import permissions_needed
from bot.testing.payloads import (
    DEFAULT_BOT_USER,
    EVERYONE_PERMISSIONS,
    _member,
    bot_role,
    default_guild,
    iso,
    snowflake_at,
)

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.clock import ManualClock


class DiscordState:
    """The servers as Discord has them, with the bot in each; the base of the stand-in."""

    def __init__(
        self,
        *,
        clock: ManualClock,
        guild: dict[str, Any] | None = None,
        bot_user: dict[str, Any] | None = None,
        guilds: list[dict[str, Any]] | None = None,
    ) -> None:
        self.clock = clock
        self.bot_user = copy.deepcopy(bot_user or DEFAULT_BOT_USER)
        given = [copy.deepcopy(g) for g in guilds] if guilds else [copy.deepcopy(guild or default_guild())]
        self.guilds: list[dict[str, Any]] = given
        self.guild = given[0]
        self.shard_count = 1  # what /gateway/bot recommends (the stand-in's `shards`)
        for data in given:
            self._add_bot_member(data)
        self.bot: CircleBot | None = None
        self.tokens: dict[str, dict[str, Any]] = {}  # interaction token -> the INTERACTION_CREATE that issued it
        self.messages: dict[int, list[dict[str, Any]]] = {}  # channel id -> messages anyone can see there
        self.replies: dict[int, list[dict[str, Any]]] = {}  # user id -> interaction responses to them
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.closed_dms: set[int] = set()
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or a guild id -> the synced commands
        self.scheduled_events: dict[int, dict[str, Any]] = {}  # every event the bot made, by id, as Discord has it
        self.modals_shown: dict[int, list[str]] = {}  # user id -> custom ids of the forms the bot showed them
        self._counter = 0

    # Looking things up --------------------------------------------------------------------------------------

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def _add_bot_member(self, guild: dict[str, Any]) -> None:
        if any(m["user"]["id"] == self.bot_user["id"] for m in guild["members"]):
            return
        position = max(r["position"] for r in guild["roles"]) + 1
        role = bot_role(self.bot_user, permissions_needed().value, position)
        if guild is not self.guilds[0]:
            role = {**role, "id": str(int(guild["id"]) + 999)}  # each server gives the bot its own managed role
        guild["roles"].append(role)
        guild["members"].append(_member(self.bot_user, [role["id"]]))
        guild["member_count"] = guild.get("member_count", 0) + 1

    def guild_data(self, guild_id: int | str) -> dict[str, Any]:
        for guild in self.guilds:
            if guild["id"] == str(guild_id):
                return guild
        raise KeyError(f"no server {guild_id}")

    def guild_of(self, channel_id: int | str) -> dict[str, Any]:
        """The server a channel or thread belongs to (the stand-in's own for a DM or an unknown channel)."""
        for guild in self.guilds:
            if any(c["id"] == str(channel_id) for c in [*guild["channels"], *guild.get("threads", [])]):
                return guild
        return self.guild

    def channel(self, channel_id: int | str) -> dict[str, Any]:
        guild = self.guild_of(channel_id)
        for channel in guild["channels"]:
            if channel["id"] == str(channel_id):
                return channel
        for thread in guild.get("threads", []):
            if thread["id"] == str(channel_id):
                return thread
        raise KeyError(channel_id)

    def channel_id(self, name: str) -> int:
        for guild in self.guilds:
            for channel in guild["channels"]:
                if channel["name"] == name:
                    return int(channel["id"])
        raise KeyError(name)

    def member(self, user_id: int | str, guild: dict[str, Any] | None = None) -> dict[str, Any]:
        """The member in `guild` (default: the first server that has them)."""
        for data in [guild] if guild is not None else self.guilds:
            for member in data["members"]:
                if member["user"]["id"] == str(user_id):
                    return member
        raise KeyError(user_id)

    def user_id(self, name: str) -> int:
        for guild in self.guilds:
            for member in guild["members"]:
                if member["user"]["global_name"] == name or member["user"]["username"] == name.lower():
                    return int(member["user"]["id"])
        raise KeyError(name)

    def overwrites(self, channel_id: int) -> dict[int, tuple[int, int]]:
        """Channel overwrites as Discord has them: target id -> (allow, deny)."""
        return {
            int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in self.channel(channel_id)["permission_overwrites"]
        }

    def next_id(self) -> int:
        self._counter += 1
        return snowflake_at(self.clock.now(), self._counter)

    def voice_state(self, user_id: int, guild: dict[str, Any] | None = None) -> dict[str, Any] | None:
        for data in [guild] if guild is not None else self.guilds:
            for state in data["voice_states"]:
                if state["user_id"] == str(user_id):
                    return state
        return None

    # Telling the bot (the gateway) --------------------------------------------------------------------------

    def feed_now(self, event: str, data: dict[str, Any]) -> None:
        assert self.bot is not None, "start the stand-in first"
        if event == "INTERACTION_CREATE":
            self.tokens[data["token"]] = data
        self.bot._connection.parsers[event](data)

    async def feed(self, event: str, data: dict[str, Any]) -> None:
        """Deliver one gateway event and wait for the work it caused."""
        self._apply_inbound(event, data)
        self.feed_now(event, data)
        await self.settle()

    def _apply_inbound(self, event: str, data: dict[str, Any]) -> None:
        """Keep Discord's state in step with events a scenario sends (voice joins, new channels)."""
        guild = next((g for g in self.guilds if g["id"] == data.get("guild_id")), None)
        if guild is None:
            return
        if event == "VOICE_STATE_UPDATE":
            states = [s for s in guild["voice_states"] if s["user_id"] != data["user_id"]]
            if data.get("channel_id"):
                states.append({k: v for k, v in data.items() if k != "member"})
            guild["voice_states"] = states
        elif event == "CHANNEL_UPDATE":
            for i, channel in enumerate(guild["channels"]):
                if channel["id"] == data["id"]:
                    guild["channels"][i] = {k: v for k, v in data.items() if k != "guild_id"}
        elif event == "CHANNEL_DELETE":
            guild["channels"] = [c for c in guild["channels"] if c["id"] != data["id"]]

    async def settle(self) -> None:
        """Wait until the tasks discord.py (and the bot) spawned for the last event are done."""
        await driver.settle()

    # Permissions, as discord.py computes them from its cache ------------------------------------------------

    def _bot_guild(self, guild_id: int | str | None = None) -> discord.Guild:
        assert self.bot is not None
        guild = self.bot.get_guild(int(guild_id) if guild_id is not None else self.guild_id)
        assert guild is not None
        return guild

    def member_object(self, user_id: int, guild_id: int | str | None = None) -> discord.Member:
        """A discord.py Member built from Discord's side of the state (the bot caches few members)."""
        guild = self._bot_guild(guild_id)
        if user_id == self.bot_id:
            return guild.me
        assert self.bot is not None
        data: Any = copy.deepcopy(self.member(user_id, self.guild_data(guild.id)))
        return discord.Member(data=data, guild=guild, state=self.bot._connection)

    def _permissions_string(self, user_id: int, channel_id: int) -> str:
        owner = self.guild_of(channel_id)["id"]
        assert self.bot is not None
        if self.bot.get_guild(int(owner)) is None:
            return EVERYONE_PERMISSIONS  # the bot has not seen that server yet (its shard is not connected)
        guild = self._bot_guild(owner)
        member = self.member_object(user_id, owner)
        channel = guild.get_channel_or_thread(channel_id)
        if channel is None:
            return EVERYONE_PERMISSIONS
        return str(channel.permissions_for(member).value)

    def _bot_perms(self, channel_id: int) -> discord.Permissions:
        return discord.Permissions(int(self._permissions_string(self.bot_id, channel_id)))

    def can_post(self, user: int | str, channel: int | str) -> bool:
        """Whether Discord would let this person send messages in the channel right now."""
        assert self.bot is not None
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.channel_id(channel) if isinstance(channel, str) else channel
        owner = self.guild_of(channel_id)["id"]
        target = self._bot_guild(owner).get_channel_or_thread(channel_id)
        assert target is not None
        return bool(target.permissions_for(self.member_object(user_id, owner)).send_messages)

    def bot_has_guild_permission(self, flag: str, guild_id: int | str | None = None) -> bool:
        perms = self._bot_guild(guild_id).me.guild_permissions
        return bool(perms.administrator or getattr(perms, flag))

    # Messages -----------------------------------------------------------------------------------------------

    def _message(self, channel_id: int, body: dict[str, Any], *, flags: int = 0, **extra: Any) -> dict[str, Any]:
        """A message the bot sends, as Discord stores it (file uploads become attachments)."""
        message = {
            "id": str(self.next_id()),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": iso(self.clock.now()),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(self.next_id()),
                    "filename": n,
                    "size": 1,
                    "url": "https://cdn.invalid/" + n,
                    "proxy_url": "https://cdn.invalid/" + n,
                }
                for n in body.get("files", [])
            ],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": flags | int(body.get("flags") or 0),
        }
        if channel_id not in self.dm_channels.values():
            message["guild_id"] = self.guild_of(channel_id)["id"]
        message.update(extra)
        return message

    # What people see ----------------------------------------------------------------------------------------

    def last_message(self, channel_id: int | str) -> dict[str, Any]:
        cid = (
            self.channel_id(channel_id) if isinstance(channel_id, str) and not channel_id.isdigit() else int(channel_id)
        )
        posted = [m for m in self.messages.get(cid, []) if m["author"]["id"] == self.bot_user["id"]]
        if not posted:
            raise KeyError(f"the bot has posted nothing in {cid}")
        return posted[-1]

    def bot_messages(self, channel: int | str) -> list[dict[str, Any]]:
        cid = self.channel_id(channel) if isinstance(channel, str) else channel
        return [m for m in self.messages.get(cid, []) if m["author"]["id"] == self.bot_user["id"]]

    def last_reply(self, user: int | str) -> dict[str, Any]:
        user_id = self.user_id(user) if isinstance(user, str) else user
        if not self.replies.get(user_id):
            raise KeyError(f"nobody answered {user_id}")
        return self.replies[user_id][-1]

    def dms_to(self, user: int | str) -> list[dict[str, Any]]:
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.dm_channels.get(user_id)
        return list(self.messages.get(channel_id, [])) if channel_id else []
