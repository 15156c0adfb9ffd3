"""`python -m bot demo`: a short circle on the offline stand-in, told as what each person sees on Discord.

The script is a replay scenario shipped in the repository (docs/demo_circle.json, the same format as
`python -m bot replay`). After each step the stand-in's side of Discord is read back: new and edited messages,
the replies only one person sees, and who can post in the circle's channel (from the bot's own cache).
No token, no network.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import discord

from bot.replay import ScenarioError, load_scenario, perform_step, prepare_step
from bot.testing import EPHEMERAL, StandIn, walk_components

SCENARIO = Path(__file__).resolve().parent.parent / "docs" / "demo_circle.json"
LOADING = 128  # message flag: the bot is "thinking" (a deferred reply not yet filled)
INDENT = " " * 8

INTRO = (
    "Empathy Circles demo: a short circle on an offline stand-in for Discord (no token, no network).\n"
    "Each [mm:ss] line is something a person does; the indented lines below it are what people see."
)
OUTRO = "That was a whole circle, offline. To run it for real, see the README."


def relative(moment: datetime, reference: datetime) -> str:
    """How Discord shows `<t:UNIX:R>` to someone looking at the message at `reference`."""
    seconds = round((moment - reference).total_seconds())
    size = abs(seconds)
    if size < 1:
        return "now"
    if size < 60:
        amount = f"{size} second" + ("" if size == 1 else "s")
    elif size < 3600:
        count = round(size / 60)
        amount = f"{count} minute" + ("" if count == 1 else "s")
    else:
        count = round(size / 3600)
        amount = f"{count} hour" + ("" if count == 1 else "s")
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def duration(seconds: float) -> str:
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute" + ("" if minutes == 1 else "s"))
    if rest or not parts:
        parts.append(f"{rest} second" + ("" if rest == 1 else "s"))
    return " ".join(parts)


def _quote(text: str) -> str:
    return f'"{text}"'


@dataclass
class _Seen:
    """What was last shown of one message, to tell people only what changed when the bot edits it."""

    content: str
    title: str
    fields: list[str] = field(default_factory=list)
    buttons: str = ""


class Narrator:
    """Turns the stand-in's state after each step into readable lines."""

    def __init__(self, standin: StandIn, emit: Callable[[str], None]) -> None:
        self.standin = standin
        self.emit = emit
        self.start = standin.clock.now()
        self.seen: dict[str, _Seen] = {}
        self.posters: dict[int, tuple[str, ...]] = {}

    # Names ----------------------------------------------------------------------------------------------------

    def name(self, user_id: int | str) -> str:
        if str(user_id) == self.standin.bot_user["id"]:
            user = self.standin.bot_user
        else:
            try:
                user = self.standin.member(user_id)["user"]
            except KeyError:
                return "someone"
        return str(user.get("global_name") or user.get("username") or "someone")

    def channel_name(self, channel_id: int | str) -> str:
        if int(channel_id) in self.standin.dm_channels.values():
            return "a direct message"
        try:
            return "#" + str(self.standin.channel(channel_id)["name"])
        except KeyError:
            return "#unknown-channel"

    def role_name(self, role_id: str) -> str:
        for role in self.standin.guild["roles"]:
            if role["id"] == role_id:
                return str(role["name"]).lstrip("@")
        return "a role"

    def readable(self, text: str, reference: datetime) -> str:
        """Discord markup as a person sees it: names for mentions, phrases for timestamps, no markdown."""

        def stamp(match: re.Match[str]) -> str:
            moment = datetime.fromtimestamp(int(match.group(1)), tz=reference.tzinfo)
            if (match.group(2) or "f") == "R":
                return relative(moment, reference)
            return moment.strftime("%H:%M")

        text = re.sub(r"<@!?(\d+)>", lambda m: "@" + self.name(m.group(1)), text)
        text = re.sub(r"<@&(\d+)>", lambda m: "@" + self.role_name(m.group(1)), text)
        text = re.sub(r"<#(\d+)>", lambda m: self.channel_name(m.group(1)), text)
        text = re.sub(r"</([\w -]+):\d+>", r"/\1", text)
        text = re.sub(r"<t:(-?\d+)(?::([tTdDfFR]))?>", stamp, text)
        text = text.replace("**", "").replace("__", "")
        return " ".join(text.split())

    def clock(self, moment: datetime) -> str:
        minutes, seconds = divmod(max(0, round((moment - self.start).total_seconds())), 60)
        return f"[{minutes:02d}:{seconds:02d}]"

    # What a person did ----------------------------------------------------------------------------------------

    def describe(self, step: dict[str, Any]) -> str:
        if "advance" in step:
            return f"({duration(float(step['advance']))} go by)"
        if step.get("restart"):
            return "(the bot restarts)"
        if "fail" in step:
            fail = step["fail"]
            return f"(Discord will refuse {fail.get('method')} {fail.get('path')} with {fail.get('status')})"
        event, data = step.get("t"), step.get("d") or {}
        if event == "INTERACTION_CREATE":
            return self.describe_interaction(data)
        if event == "MESSAGE_CREATE":
            who = self.name(data.get("author", {}).get("id", 0))
            text = self.readable(str(data.get("content", "")), self.standin.clock.now())
            return f"{who} posts in {self.channel_name(data.get('channel_id', 0))}: {_quote(text)}"
        if event == "VOICE_STATE_UPDATE":
            who = self.name(data.get("user_id", 0))
            if data.get("channel_id"):
                return f"{who} is in voice: {self.channel_name(data['channel_id'])}"
            return f"{who} leaves voice"
        return f"({event})"

    def describe_interaction(self, data: dict[str, Any]) -> str:
        user = (data.get("member") or {}).get("user") or data.get("user") or {}
        who = self.name(user.get("id", 0))
        kind = data.get("type")
        body = data.get("data") or {}
        if kind == 2:
            words = ["/" + str(body.get("name", ""))]
            options = body.get("options") or []
            while options and options[0].get("type") in (1, 2):
                words.append(str(options[0]["name"]))
                options = options[0].get("options") or []
            words.extend(f"{o['name']}:{self.option_value(o)}" for o in options)
            return f"{who}: {' '.join(words)}"
        if kind == 3:
            message = data.get("message") or {}
            label = next(
                (
                    str(c.get("label"))
                    for c in walk_components(message)
                    if c.get("custom_id") == body.get("custom_id") and c.get("label")
                ),
                str(body.get("custom_id")),
            )
            where = " on the card" if message.get("embeds") else ""
            return f"{who} presses [{label}]{where}"
        if kind == 5:
            return f"{who} sends the form"
        return f"{who} starts typing a command"

    def option_value(self, option: dict[str, Any]) -> str:
        value = option.get("value")
        kind = option.get("type")
        if kind == 6:
            return "@" + self.name(str(value))
        if kind == 7:
            return self.channel_name(str(value))
        if kind == 8:
            return "@" + self.role_name(str(value))
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    # What people saw ------------------------------------------------------------------------------------------

    def bot_messages(self) -> list[tuple[dict[str, Any], int | None]]:
        """Every message the bot has on screen, with the person a reply was for (None: a channel post)."""
        found: dict[str, tuple[dict[str, Any], int | None]] = {}
        bot_id = self.standin.bot_user["id"]
        for messages in self.standin.messages.values():
            for message in messages:
                if message["author"]["id"] == bot_id:
                    found[message["id"]] = (message, None)
        for user_id, replies in self.standin.replies.items():
            for message in replies:
                found[message["id"]] = (message, user_id)
        return sorted(found.values(), key=lambda pair: int(pair[0]["id"]))

    def where(self, message: dict[str, Any], for_user: int | None) -> str:
        bot = self.name(self.standin.bot_user["id"])
        if for_user is not None and message["flags"] & EPHEMERAL:
            return f"only {self.name(for_user)} sees:"
        channel = self.channel_name(message["channel_id"])
        if channel == "a direct message":
            recipient = next((u for u, c in self.standin.dm_channels.items() if c == int(message["channel_id"])), None)
            return f"only {self.name(recipient or 0)} sees, in a direct message from {bot}:"
        if for_user is not None:
            return f"{channel}  {bot}, answering {self.name(for_user)}:"
        return f"{channel}  {bot}:"

    def snapshot(self, message: dict[str, Any], reference: datetime) -> _Seen:
        embeds = message.get("embeds") or []
        title = ""
        fields: list[str] = []
        if embeds:
            embed = embeds[0]
            title = self.readable(str(embed.get("title") or ""), reference)
            description = self.readable(str(embed.get("description") or ""), reference)
            if description:
                fields.append(description)
            for item in embed.get("fields") or []:
                name = self.readable(str(item.get("name", "")), reference)
                fields.append(f"{name}: {self.readable(str(item.get('value', '')), reference)}")
            footer = self.readable(str((embed.get("footer") or {}).get("text") or ""), reference)
            if footer:
                fields.append(footer)
        buttons = [c for c in walk_components(message) if c.get("type") == 2]
        shown = " ".join(f"[{b.get('label')}]" for b in buttons)
        if buttons and all(b.get("disabled") for b in buttons):
            shown += " (greyed out)"
        content = self.readable(str(message.get("content") or ""), reference)
        if not content and not embeds and message["flags"] & LOADING:
            content = "(thinking…)"
        return _Seen(content=content, title=title, fields=fields, buttons=shown)

    def show_messages(self, step_moment: datetime) -> None:
        """New messages first, in the order they were posted; then the edits (cards that changed)."""
        now = self.standin.clock.now()
        edited: list[tuple[dict[str, Any], int | None, _Seen]] = []
        for message, for_user in self.bot_messages():
            posted = datetime.fromisoformat(message["timestamp"])
            # Compared as of the moment it was posted, so a countdown ticking on is not mistaken for an edit.
            seen = self.snapshot(message, posted)
            before = self.seen.get(message["id"])
            self.seen[message["id"]] = seen
            if before is None:
                self.show_new(message, for_user, seen, self.line_prefix(posted, step_moment))
            elif seen != before:
                edited.append((message, for_user, before))
        for message, for_user, before in edited:
            seen = self.snapshot(message, now)
            shown = self.snapshot(message, datetime.fromisoformat(message["timestamp"]))
            what = "the card" if seen.title else "its message"
            self.emit(f"{self.line_prefix(now, step_moment)}{self.where(message, for_user)} (edits {what})")
            if shown.title != before.title:
                self.emit(f"{INDENT}    {_quote(seen.title)}")
            if shown.content != before.content:
                self.emit(f"{INDENT}    {_quote(seen.content)}")
            for index, line in enumerate(shown.fields):
                if index >= len(before.fields) or before.fields[index] != line:
                    self.emit(f"{INDENT}    {seen.fields[index]}")
            if shown.buttons != before.buttons:
                self.emit(f"{INDENT}    buttons: {seen.buttons}")

    def show_new(self, message: dict[str, Any], for_user: int | None, seen: _Seen, prefix: str) -> None:
        head = f"{prefix}{self.where(message, for_user)}"
        if seen.title:
            card = f"the card {_quote(seen.title)}"
            self.emit(f"{head} {_quote(seen.content)} with {card}" if seen.content else f"{head} {card}")
            for line in seen.fields:
                self.emit(f"{INDENT}    {line}")
        else:
            self.emit(f"{head} {_quote(seen.content)}")
        if seen.buttons:
            self.emit(f"{INDENT}    buttons: {seen.buttons}")

    def line_prefix(self, moment: datetime, step_moment: datetime) -> str:
        """Indented under the step; with its own clock when it happened later (timers during a wait)."""
        if moment - step_moment >= timedelta(seconds=1):
            return self.clock(moment) + "   "
        return INDENT

    def members(self, guild: discord.Guild) -> list[discord.Member]:
        """Everyone in the server, as the bot's cache would judge them.

        The bot asks for no member list (no privileged intent), so its cache may not hold everyone: those it
        lacks are built from the stand-in's list, against the bot's cached guild, roles and overwrites.
        """
        found = []
        for data in self.standin.guild["members"]:
            member = guild.get_member(int(data["user"]["id"]))
            if member is None:
                member = discord.Member(data=copy.deepcopy(data), guild=guild, state=guild._state)
            found.append(member)
        return found

    def show_posters(self, step_moment: datetime) -> None:
        bot = self.standin.bot
        if bot is None:
            return
        guild = bot.get_guild(self.standin.guild_id)
        if guild is None:
            return
        members = self.members(guild)
        channels = sorted(
            cid
            for cid, messages in self.standin.messages.items()
            if cid not in self.standin.dm_channels.values() and messages
        )
        for channel_id in channels:
            channel = guild.get_channel_or_thread(channel_id)
            if channel is None:
                continue
            people = [m for m in members if channel.permissions_for(m).send_messages]
            labels = []
            for member in people:
                label = self.name(member.id)
                if member.id == guild.owner_id:
                    label += " (owner)"
                elif member.id == self.standin.bot_id:
                    label += " (the bot)"
                labels.append(label)
            everyone = len(people) == len(members)
            shown = ("everyone",) if everyone else tuple(labels)
            if self.posters.get(channel_id) == shown:
                continue
            self.posters[channel_id] = shown
            text = ", ".join(shown) if shown else "nobody"
            prefix = self.line_prefix(self.standin.clock.now(), step_moment)
            self.emit(f"{prefix}who can post in {self.channel_name(channel_id)} now: {text}")


async def play(scenario: dict[str, Any], database_path: str, emit: Callable[[str], None]) -> list[str]:
    """Run the scenario, narrating each step; return the errors logged (empty when all went well)."""
    start = scenario.get("start_time")
    standin = StandIn(
        database_path=database_path,
        start_time=datetime.fromisoformat(start) if start else None,
        guild=scenario.get("guild"),
        bot_user=scenario.get("bot_user"),
        settings=scenario.get("settings") or {},
    )
    narrator = Narrator(standin, emit)
    try:
        await standin.start()
        for index, raw in enumerate(scenario.get("steps", [])):
            standin.step = index
            step = prepare_step(raw, standin)
            moment = standin.clock.now()
            emit(f"{narrator.clock(moment)} {narrator.describe(step)}")
            await perform_step(standin, index, step)
            narrator.show_messages(moment)
            narrator.show_posters(moment)
    finally:
        await standin.close()
    return [f"step {step}: {error}" for step, error in standin.errors]


def _printer() -> Callable[[str], None]:
    def emit(line: str) -> None:
        out = sys.stdout
        try:
            print(line, file=out, flush=True)
        except UnicodeEncodeError:  # a console that cannot show emoji
            encoding = out.encoding or "ascii"
            print(line.encode(encoding, "replace").decode(encoding), file=out, flush=True)

    return emit


def run_demo(scenario_path: str | Path | None = None) -> int:
    """Play the demo circle; 0 when it ran cleanly, 1 when the bot logged an error, 2 for a bad scenario."""
    path = Path(scenario_path) if scenario_path is not None else SCENARIO
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        print(f"The demo script is missing or broken: {exc}", file=sys.stderr)
        return 2
    emit = _printer()
    # The stand-in records errors itself; keep log text off the screen so the story stays readable.
    root = logging.getLogger()
    quiet = logging.NullHandler()
    level = root.level
    root.addHandler(quiet)
    root.setLevel(logging.WARNING)
    emit(INTRO)
    emit("")
    try:
        with tempfile.TemporaryDirectory() as folder:
            errors = asyncio.run(play(scenario, str(Path(folder) / "demo.db"), emit))
    except ScenarioError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    finally:
        root.removeHandler(quiet)
        root.setLevel(level)
    emit("")
    if errors:
        emit("Something went wrong inside the bot during the demo:")
        for error in errors:
            emit(f"  {error}")
        return 1
    emit(OUTRO)
    return 0
