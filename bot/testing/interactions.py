"""Interactions: the INTERACTION_CREATE payloads a person's command, click or modal makes, and Discord's answers.

Interaction callbacks and follow-ups do not go through `HTTPClient.request` but through discord.py's webhook adapter;
the stand-in answers them here. Since discord.py 2.5 the callback is sent with `?with_response=1` and its body is
parsed, so it is answered with the interaction and the resource (the message), not an empty 204.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from bot.testing.discord_rules import LOADING
from bot.testing.faults import refuse
from bot.testing.payloads import EPHEMERAL, Mention, _component_type, button_id
from bot.testing.state import DiscordState


class InteractionPayloads(DiscordState):
    """What a person does through an interaction: a slash command, a button, a select menu, a modal."""

    def _base_interaction(self, kind: int, user_id: int, channel_id: int) -> dict[str, Any]:
        interaction_id = self.next_id()
        token = f"tok-{interaction_id}"
        channel = self.channel(channel_id)
        guild = self.guild_of(channel_id)
        member = copy.deepcopy(self.member(user_id, guild))
        member["permissions"] = self._permissions_string(user_id, channel_id)
        return {
            "id": str(interaction_id),
            "application_id": self.bot_user["id"],
            "type": kind,
            "guild_id": guild["id"],
            "guild": {"id": guild["id"], "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": {
                **{k: v for k, v in channel.items() if k != "permission_overwrites"},
                "guild_id": guild["id"],
                "permissions": member["permissions"],
            },
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": self._permissions_string(self.bot_id, channel_id),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild["id"]},
            "context": 0,
            "attachment_size_limit": 10485760,
        }

    def slash_payload(
        self, user_id: int, command: str, channel_id: int | None = None, **options: Any
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for `/command sub` with options; Discord-shaped, resolved objects included."""
        channel_id = channel_id or self.channel_id("circle-room")
        data = self._base_interaction(2, user_id, channel_id)
        names = command.split()
        resolved: dict[str, dict[str, Any]] = {}
        leaf: list[dict[str, Any]] = []
        for name, value in options.items():
            leaf.append(self._option(name.replace("_", "-") if name.endswith("_") else name, value, resolved))
        opts: list[dict[str, Any]] = leaf
        if len(names) == 3:
            opts = [{"type": 2, "name": names[1], "options": [{"type": 1, "name": names[2], "options": leaf}]}]
        elif len(names) == 2:
            opts = [{"type": 1, "name": names[1], "options": leaf}]
        data["data"] = {
            "id": str(self.next_id()),
            "name": names[0],
            "type": 1,
            "guild_id": data["guild_id"],
            "options": opts,
        }
        if resolved:
            data["data"]["resolved"] = resolved
        return data

    def _option(self, name: str, value: Any, resolved: dict[str, dict[str, Any]]) -> dict[str, Any]:
        if isinstance(value, Mention):
            kind = value.kind
            if kind == "user":
                member = copy.deepcopy(self.member(value.id))
                user = member.pop("user")
                member["permissions"] = self._permissions_string(value.id, self.channel_id("circle-room"))
                resolved.setdefault("users", {})[str(value.id)] = user
                resolved.setdefault("members", {})[str(value.id)] = member
                return {"name": name, "type": 6, "value": str(value.id)}
            if kind == "role":
                role = next(r for g in self.guilds for r in g["roles"] if r["id"] == str(value.id))
                resolved.setdefault("roles", {})[str(value.id)] = role
                return {"name": name, "type": 8, "value": str(value.id)}
            channel = self.channel(value.id)
            resolved.setdefault("channels", {})[str(value.id)] = {
                "id": channel["id"],
                "name": channel["name"],
                "type": channel["type"],
                "permissions": self._permissions_string(self.bot_id, value.id),
                "parent_id": channel.get("parent_id"),
            }
            return {"name": name, "type": 7, "value": str(value.id)}
        if isinstance(value, bool):
            return {"name": name, "type": 5, "value": value}
        if isinstance(value, int):
            return {"name": name, "type": 4, "value": value}
        if isinstance(value, float):
            return {"name": name, "type": 10, "value": value}
        return {"name": name, "type": 3, "value": str(value)}

    async def slash(self, user: int | str, command: str, channel: int | str | None = None, **options: Any) -> str:
        """Run a slash command as a person; returns the interaction token (for `reply_to`)."""
        user_id = self.user_id(user) if isinstance(user, str) else user
        channel_id = self.channel_id(channel) if isinstance(channel, str) else channel
        data = self.slash_payload(user_id, command, channel_id, **options)
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])

    def component_payload(
        self,
        user_id: int,
        message: dict[str, Any],
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> dict[str, Any]:
        channel_id = int(message["channel_id"])
        if channel_id in self.dm_channels.values():
            # A DM has no server: build the person's side from the first server they are in, then drop it.
            home = next(g for g in self.guilds if any(m["user"]["id"] == str(user_id) for m in g["members"]))
            where = self.channel_id("circle-room") if home is self.guild else int(home["channels"][0]["id"])
            data = self._base_interaction(3, user_id, where)
            data.pop("guild_id")
            data.pop("guild")
            data["user"] = data.pop("member")["user"]
            data["channel_id"] = str(channel_id)
            data["channel"] = {"id": str(channel_id), "type": 1}
            data["context"] = 1
        else:
            data = self._base_interaction(3, user_id, channel_id)
        data["message"] = copy.deepcopy(message)
        data["data"] = {"component_type": component_type, "custom_id": custom_id}
        if values is not None:
            data["data"]["values"] = values
        return data

    async def click(self, user: int | str, message: dict[str, Any], label: str) -> str:
        """Press the button with this label on a message the bot sent."""
        user_id = self.user_id(user) if isinstance(user, str) else user
        custom_id = button_id(message, label)
        data = self.component_payload(user_id, message, custom_id)
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])

    async def choose(self, user: int | str, message: dict[str, Any], custom_id: str, values: list[str]) -> str:
        user_id = self.user_id(user) if isinstance(user, str) else user
        kind = _component_type(message, custom_id)
        data = self.component_payload(user_id, message, custom_id, component_type=kind, values=values)
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])

    async def submit_modal(
        self,
        user: int | str,
        custom_id: str,
        fields: dict[str, str],
        channel: int | None = None,
        *,
        message: dict[str, Any] | None = None,
    ) -> str:
        """Submit a modal; `message` is the message whose button opened it (Discord then includes it).

        `custom_id` may name the form by its start (`setup:timezone`): as a person's client does, the stand-in
        then submits the last such form the bot showed that person. An id never shown to them is sent as given.
        """
        user_id = self.user_id(user) if isinstance(user, str) else user
        shown = [c for c in self.modals_shown.get(user_id, []) if c == custom_id or c.startswith(custom_id + ":")]
        if shown:
            custom_id = shown[-1]
        data = self._base_interaction(5, user_id, channel or self.channel_id("circle-room"))
        if message is not None:
            data["message"] = copy.deepcopy(message)
        data["data"] = {
            "custom_id": custom_id,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
                for key, value in fields.items()
            ],
        }
        await self.feed("INTERACTION_CREATE", data)
        return str(data["token"])


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """A message as Discord returns it: without the stand-in's own bookkeeping (keys starting with `_`)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}


class InteractionResponses(DiscordState):
    """Discord's side of the bot's interaction responses: the callback, follow-ups, the original response."""

    def _interaction(self, token: str) -> dict[str, Any]:
        return self.tokens[token]

    def _interaction_user(self, interaction: dict[str, Any]) -> int:
        user = interaction["member"]["user"] if "member" in interaction else interaction["user"]
        return int(user["id"])

    def _user_of(self, interaction: dict[str, Any]) -> dict[str, Any]:
        return interaction["member"]["user"] if "member" in interaction else interaction["user"]

    def _reply(self, interaction: dict[str, Any], body: dict[str, Any], *, original: bool) -> dict[str, Any]:
        channel_id = int(interaction["channel_id"])
        message = self._message(
            channel_id,
            body,
            interaction_metadata={
                "id": interaction["id"],
                "type": interaction["type"],
                "user": self._user_of(interaction),
            },
        )
        message["webhook_id"] = interaction["application_id"]
        message["_token"] = interaction["token"] if original else None
        user_id = self._interaction_user(interaction)
        self.replies.setdefault(user_id, []).append(message)
        if not message["flags"] & EPHEMERAL:
            self.messages.setdefault(channel_id, []).append(message)
        return message

    def _locate(self, message: dict[str, Any]) -> dict[str, Any]:
        for bucket in (*self.messages.values(), *self.replies.values()):
            for stored in bucket:
                if stored["id"] == message["id"]:
                    return stored
        return message

    def _original(self, token: str) -> dict[str, Any]:
        for bucket in self.replies.values():
            for message in bucket:
                if message.get("_token") == token:
                    return message
        interaction = self.tokens.get(token)
        if interaction is not None and interaction["type"] == 3:
            return self._locate(interaction["message"])
        refuse(404, 10008, "Unknown Message")

    async def _callback(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        interaction = self._interaction(params["webhook_token"])
        if interaction.get("_answered"):
            refuse(400, 40060, "Interaction has already been acknowledged.")
        interaction["_answered"] = True
        kind = body["type"]
        data = body.get("data") or {}
        answer: dict[str, Any] = {"id": interaction["id"], "type": interaction["type"]}
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            message = self._reply(interaction, data, original=True)
            answer.update(
                response_message_id=message["id"],
                response_message_loading=False,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            resource["message"] = _public(message)
        elif kind == 5:
            message = self._reply(interaction, {"content": "", "flags": data.get("flags", 0) | LOADING}, original=True)
            answer.update(
                response_message_id=message["id"],
                response_message_loading=True,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            resource["message"] = _public(message)
        elif kind == 7:
            source = interaction["message"]
            stored = self._locate(source)
            for key in ("content", "embeds", "components"):
                if key in data:
                    stored[key] = data[key]
            answer.update(
                response_message_id=stored["id"],
                response_message_loading=False,
                response_message_ephemeral=bool(stored["flags"] & EPHEMERAL),
            )
            resource["message"] = _public(stored)
        elif kind == 9:
            interaction["_modal"] = data
            person = (interaction.get("member") or {}).get("user") or interaction.get("user") or {}
            self.modals_shown.setdefault(int(person.get("id", 0)), []).append(str(data.get("custom_id", "")))
        return {"interaction": answer, "resource": resource}

    async def _followup(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        interaction = self._interaction(params["webhook_token"])
        original = next((m for b in self.replies.values() for m in b if m.get("_token") == interaction["token"]), None)
        if original is not None and original["flags"] & LOADING:
            # The first follow-up after a defer edits the "thinking" message, keeping the defer's visibility.
            original["flags"] &= ~LOADING
            for key in ("content", "embeds", "components"):
                if key in body:
                    original[key] = body[key]
            return _public(original)
        return _public(self._reply(interaction, body, original=False))

    async def _edit_original(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        message = self._original(params["webhook_token"])
        message["flags"] &= ~LOADING
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key]
        return _public(message)

    async def _get_original(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        return _public(self._original(params["webhook_token"]))

    async def _delete_original(self, params: dict[str, str], body: dict[str, Any]) -> None:
        message = self._original(params["webhook_token"])
        for bucket in (*self.messages.values(), *self.replies.values()):
            if message in bucket:
                bucket.remove(message)

    async def _edit_followup(self, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        for bucket in self.replies.values():
            for message in bucket:
                if message["id"] == params["message_id"]:
                    for key in ("content", "embeds", "components"):
                        if key in body:
                            message[key] = body[key]
                    return _public(message)
        refuse(404, 10008, "Unknown Message")


WebhookHandler = Callable[[InteractionResponses, dict[str, str], dict[str, Any]], Awaitable[Any]]

# (method, discord.py's route template) -> handler; discord.py's names differ from Discord's docs here.
WEBHOOK_ROUTES: dict[tuple[str, str], WebhookHandler] = {
    ("POST", "/interactions/{webhook_id}/{webhook_token}/callback"): InteractionResponses._callback,
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): InteractionResponses._followup,
    ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): InteractionResponses._get_original,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): InteractionResponses._edit_original,
    ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): InteractionResponses._delete_original,
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): InteractionResponses._edit_followup,
}
