"""Discord's answers to the bot's REST calls (`bot.http.request`), one handler per route, and the route table.

Each handler gets the route's parameters, the JSON body and the query, changes Discord's state, sends the gateway
event Discord would send after the change, and returns the JSON Discord would return.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import discord

import bot.testing.discord_rules as rules
from bot.testing.faults import refuse
from bot.testing.payloads import _user, application_payload, iso
from bot.testing.state import DiscordState


class RestRoutes(DiscordState):
    """The REST API, as far as the bot uses it."""

    # Messages -----------------------------------------------------------------------------------------------

    async def _post_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        channel_id = int(params["channel_id"])
        if channel_id in self.dm_channels.values():
            user_id = next(u for u, c in self.dm_channels.items() if c == channel_id)
            if user_id in self.closed_dms:
                refuse(403, 50007, "Cannot send messages to this user")
        else:
            rules.check_may_post(self._bot_perms(channel_id))
        message = self._message(channel_id, body or {})
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def _find_message(self, channel_id: int, message_id: str) -> dict[str, Any]:
        for message in self.messages.get(channel_id, []):
            if message["id"] == message_id:
                return message
        refuse(404, 10008, "Unknown Message")

    async def _edit_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        message = self._find_message(int(params["channel_id"]), params["message_id"])
        for key in ("content", "embeds", "components", "flags"):
            if body and key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = iso(self.clock.now())
        return message

    async def _get_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        return self._find_message(int(params["channel_id"]), params["message_id"])

    async def _delete_message(self, params: dict[str, str], body: Any, query: Any) -> None:
        channel_id = int(params["channel_id"])
        message = self._find_message(channel_id, params["message_id"])
        if message["author"]["id"] != self.bot_user["id"] and not self._bot_perms(channel_id).manage_messages:
            rules.refuse_missing_permissions()
        self.messages[channel_id].remove(message)
        self.feed_now(
            "MESSAGE_DELETE",
            {"id": message["id"], "channel_id": str(channel_id), "guild_id": self.guild_of(channel_id)["id"]},
        )

    async def _start_thread_from_message(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        """A public thread on a message: it takes the message's id, and Discord sends THREAD_CREATE."""
        channel_id = int(params["channel_id"])
        message = self._find_message(channel_id, params["message_id"])
        perms = self._bot_perms(channel_id)
        if not (perms.view_channel and perms.create_public_threads):
            rules.refuse_missing_permissions()
        if message.get("thread"):
            refuse(400, 160004, "A thread has already been created for this message")
        now = iso(self.clock.now())
        guild = self.guild_of(channel_id)
        thread = {
            "id": message["id"],
            "guild_id": guild["id"],
            "parent_id": str(channel_id),
            "owner_id": self.bot_user["id"],
            "type": 11,
            "name": body["name"],
            "last_message_id": None,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "flags": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
            },
            "member": {"id": message["id"], "user_id": self.bot_user["id"], "join_timestamp": now, "flags": 0},
        }
        guild.setdefault("threads", []).append(thread)
        message["thread"] = thread
        message["flags"] = int(message.get("flags") or 0) | rules.HAS_THREAD
        self.feed_now("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        return copy.deepcopy(thread)

    async def _open_dm(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        user_id = int(body["recipient_id"])
        if user_id not in self.dm_channels:
            self.dm_channels[user_id] = self.next_id()
        user = self.member(user_id)["user"]
        return {
            "id": str(self.dm_channels[user_id]),
            "type": 1,
            "recipients": [user],
            "last_message_id": None,
        }

    # Channel overwrites -------------------------------------------------------------------------------------

    async def _put_overwrite(self, params: dict[str, str], body: Any, query: Any) -> None:
        channel_id = int(params["channel_id"])
        perms = self._bot_perms(channel_id)
        rules.check_manages_roles(perms)
        allow, deny = int(body.get("allow", 0)), int(body.get("deny", 0))
        channel = self.channel(channel_id)
        mine = {self.bot_user["id"], *self.member(self.bot_id, self.guild_of(channel_id))["roles"]}
        rules.check_overwrite_bits(perms, allow, deny, channel["permission_overwrites"], mine)
        target = params["target"]
        rest = [o for o in channel["permission_overwrites"] if o["id"] != target]
        rest.append({"id": target, "type": int(body.get("type", 0)), "allow": str(allow), "deny": str(deny)})
        channel["permission_overwrites"] = rest
        self._channel_update(channel)

    async def _delete_overwrite(self, params: dict[str, str], body: Any, query: Any) -> None:
        channel_id = int(params["channel_id"])
        rules.check_manages_roles(self._bot_perms(channel_id))
        channel = self.channel(channel_id)
        channel["permission_overwrites"] = [o for o in channel["permission_overwrites"] if o["id"] != params["target"]]
        self._channel_update(channel)

    def _channel_update(self, channel: dict[str, Any]) -> None:
        self.feed_now("CHANNEL_UPDATE", {**copy.deepcopy(channel), "guild_id": self.guild_of(channel["id"])["id"]})

    # Members and voice --------------------------------------------------------------------------------------

    async def _edit_member(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        user_id = int(params["user_id"])
        guild = self.guild_data(params["guild_id"])
        member = self.member(user_id, guild)
        if "mute" in body or "deaf" in body:
            if not self.bot_has_guild_permission("mute_members", guild["id"]):
                rules.refuse_missing_permissions()
            state = self.voice_state(user_id, guild)
            if state is None:
                refuse(400, 40032, "Target user is not connected to voice.")
            for key in ("mute", "deaf"):
                if key in body:
                    state[key] = bool(body[key])
                    member[key] = bool(body[key])
            self.feed_now("VOICE_STATE_UPDATE", {**copy.deepcopy(state), "member": copy.deepcopy(member)})
        if "communication_disabled_until" in body:
            if not self.bot_has_guild_permission("moderate_members", guild["id"]):
                rules.refuse_missing_permissions()
            if not rules.may_time_out(self._bot_guild(guild["id"]), self.member_object(user_id, guild["id"])):
                rules.refuse_missing_permissions()
            until = body["communication_disabled_until"]
            rules.check_timeout_length(until, self.clock.now())
            member["communication_disabled_until"] = until
            # No GUILD_MEMBER_UPDATE: Discord sends it only to bots with the Server Members intent.
        return {**copy.deepcopy(member), "guild_id": guild["id"]}

    async def _edit_voice_state(self, params: dict[str, str], body: Any, query: Any) -> None:
        user_id = int(params["user_id"])
        guild = self.guild_data(params["guild_id"])
        state = self.voice_state(user_id, guild)
        if state is None:
            refuse(400, 40032, "Target user is not connected to voice.")
        channel_id = int(body.get("channel_id") or state["channel_id"])
        if not self._bot_perms(channel_id).mute_members:
            rules.refuse_missing_permissions()
        if "suppress" in body:
            state["suppress"] = bool(body["suppress"])
            if not body["suppress"]:
                state["request_to_speak_timestamp"] = iso(self.clock.now())
        member = copy.deepcopy(self.member(user_id, guild))
        self.feed_now("VOICE_STATE_UPDATE", {**copy.deepcopy(state), "member": member})

    async def _get_user(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        try:
            return dict(self.member(params["user_id"])["user"])
        except KeyError:
            refuse(404, 10013, "Unknown User")

    async def _get_member(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        try:
            guild = self.guild_data(params["guild_id"])
            return {**copy.deepcopy(self.member(params["member_id"], guild)), "guild_id": guild["id"]}
        except KeyError:
            refuse(404, 10007, "Unknown Member")

    # The application ----------------------------------------------------------------------------------------

    async def _me(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        return self.bot_user

    async def _gateway_bot(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        """GET /gateway/bot: where to connect and how many shards Discord recommends."""
        return {
            "url": "wss://gateway.invalid",
            "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    async def _get_guild(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        """GET /guilds/{guild_id}: the server as REST shows it (no channels, members or voice states)."""
        try:
            guild = self.guild_data(params["guild_id"])
        except KeyError:
            refuse(404, 10004, "Unknown Guild")
        skip = {"channels", "members", "voice_states", "threads", "presences", "stage_instances", "joined_at"}
        return {k: copy.deepcopy(v) for k, v in guild.items() if k not in skip}

    async def _application(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        return application_payload(self.bot_user, _user(int(self.guild["owner_id"]), "Owner"))

    async def _sync_commands(self, params: dict[str, str], body: Any, query: Any) -> list[dict[str, Any]]:
        scope = params.get("guild_id", "global")
        answered = []
        for command in body or []:
            answered.append(
                {
                    "id": str(self.next_id()),
                    "application_id": self.bot_user["id"],
                    "version": str(self.next_id()),
                    "default_member_permissions": None,
                    "type": 1,
                    "nsfw": False,
                    **command,
                    **({"guild_id": params["guild_id"]} if "guild_id" in params else {}),
                }
            )
        self.commands[scope] = answered
        return answered

    # Scheduled events ---------------------------------------------------------------------------------------

    def _event_perms(self, channel_id: str | None, guild_id: str) -> discord.Permissions:
        if channel_id is not None:
            return self._bot_perms(int(channel_id))
        return self._bot_guild(guild_id).me.guild_permissions

    def _event_update(self, event: dict[str, Any], name: str = "GUILD_SCHEDULED_EVENT_UPDATE") -> None:
        guild = self.guild_data(event["guild_id"])
        listed = [e for e in guild["guild_scheduled_events"] if e["id"] != event["id"]]
        if event["status"] in rules.LISTED_EVENT_STATUSES and name != "GUILD_SCHEDULED_EVENT_DELETE":
            listed.append(copy.deepcopy(event))
        guild["guild_scheduled_events"] = listed
        self.feed_now(name, copy.deepcopy(event))

    async def _create_scheduled_event(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        body = body or {}
        kind = body.get("entity_type")
        channel = body.get("channel_id") if kind in (1, 2) else None
        rules.check_may_create_event(self._event_perms(channel, params["guild_id"]), kind)
        event = {
            "id": str(self.next_id()),
            "guild_id": params["guild_id"],
            "channel_id": str(body["channel_id"]) if body.get("channel_id") is not None else None,
            "creator_id": self.bot_user["id"],
            "creator": self.bot_user,
            "name": body.get("name"),
            "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": body.get("privacy_level"),
            "status": 1,
            "entity_type": kind,
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
        }
        rules.check_event_body(event, self.channel)
        rules.check_event_starts_later(event, self.clock.now())
        self.scheduled_events[int(event["id"])] = event
        self._event_update(event, "GUILD_SCHEDULED_EVENT_CREATE")
        return copy.deepcopy(event)

    def _known_event(self, params: dict[str, str]) -> dict[str, Any]:
        event = self.scheduled_events.get(int(params["guild_scheduled_event_id"]))
        if event is None or event["guild_id"] != params["guild_id"]:
            refuse(404, 10070, "Unknown Guild Scheduled Event")
        mine = event["creator_id"] == self.bot_user["id"]
        rules.check_may_manage_event(self._event_perms(event["channel_id"], event["guild_id"]), mine=mine)
        return event

    async def _edit_scheduled_event(self, params: dict[str, str], body: Any, query: Any) -> dict[str, Any]:
        event = self._known_event(params)
        body = body or {}
        rules.check_event_change(event, body)
        changed = {**event, **{k: v for k, v in body.items() if k in event and k not in ("id", "creator_id")}}
        if changed.get("channel_id") is not None:
            changed["channel_id"] = str(changed["channel_id"])
        rules.check_event_body(changed, self.channel)
        event.update(changed)
        self._event_update(event)
        return copy.deepcopy(event)

    async def _delete_scheduled_event(self, params: dict[str, str], body: Any, query: Any) -> None:
        event = self._known_event(params)
        del self.scheduled_events[int(event["id"])]
        self._event_update(event, "GUILD_SCHEDULED_EVENT_DELETE")


RestHandler = Callable[[RestRoutes, dict[str, str], Any, Any], Awaitable[Any]]

# (method, discord.py's route template) -> handler; a route not listed fails the test loudly.
REST_ROUTES: dict[tuple[str, str], RestHandler] = {
    ("GET", "/users/@me"): RestRoutes._me,
    ("GET", "/oauth2/applications/@me"): RestRoutes._application,
    ("GET", "/gateway/bot"): RestRoutes._gateway_bot,
    ("GET", "/guilds/{guild_id}"): RestRoutes._get_guild,
    ("GET", "/users/{user_id}"): RestRoutes._get_user,
    ("GET", "/guilds/{guild_id}/members/{member_id}"): RestRoutes._get_member,
    ("PUT", "/applications/{application_id}/commands"): RestRoutes._sync_commands,
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): RestRoutes._sync_commands,
    ("POST", "/channels/{channel_id}/messages"): RestRoutes._post_message,
    ("GET", "/channels/{channel_id}/messages/{message_id}"): RestRoutes._get_message,
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): RestRoutes._edit_message,
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): RestRoutes._delete_message,
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): RestRoutes._start_thread_from_message,
    ("PUT", "/channels/{channel_id}/permissions/{target}"): RestRoutes._put_overwrite,
    ("DELETE", "/channels/{channel_id}/permissions/{target}"): RestRoutes._delete_overwrite,
    ("POST", "/users/@me/channels"): RestRoutes._open_dm,
    ("PATCH", "/guilds/{guild_id}/members/{user_id}"): RestRoutes._edit_member,
    ("PATCH", "/guilds/{guild_id}/voice-states/{user_id}"): RestRoutes._edit_voice_state,
    ("POST", "/guilds/{guild_id}/scheduled-events"): RestRoutes._create_scheduled_event,
    ("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"): RestRoutes._edit_scheduled_event,
    ("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"): RestRoutes._delete_scheduled_event,
}
