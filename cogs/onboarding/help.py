"""`/help`: the commands this person can use, one line each, grouped by area, with a menu to open one area."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Standing, standing_of
from bot.replies import GuardedView, send_private

if TYPE_CHECKING:
    from bot.app import CircleBot


@dataclass(frozen=True, slots=True)
class Entry:
    command: str  # the qualified name, as Discord shows it after the slash
    who: Standing
    line: str


AREAS: dict[str, tuple[str, str]] = {
    "circles": (
        "Circles",
        "A facilitator opens a circle in a text, voice or stage channel, people join, and the bot passes the "
        "talking stick in order: one timed turn each, round after round. Only the holder speaks; anyone can pass.",
    ),
    "prompts": ("Prompts", "Reflective prompts open every round; you can also draw one for yourself."),
    "streaks": (
        "Streaks and your data",
        "The bot quietly notices who keeps showing up. Your data is yours: see it, export it, delete it.",
    ),
    "guidelines": (
        "Guidelines",
        "The group's agreements, which members accept before their first circle, and fair, gentle moderation.",
    ),
    "crisis": (
        "Crisis care",
        "Help lines where you live, any time. If a message suggests someone may be in danger, the bot privately "
        "points them to help and offers a facilitator.",
    ),
    "setup": ("Setting up", "Server settings for admins, and this help."),
}

M, F, A = Standing.MEMBER, Standing.FACILITATOR, Standing.ADMIN

HELP: dict[str, tuple[Entry, ...]] = {
    "circles": (
        Entry("circle join", M, "join this channel's circle (also mid-circle: your turn comes later in the round)"),
        Entry("circle leave", M, "leave the circle; if you hold the stick, it passes on"),
        Entry("circle pass", M, "holding the stick: you're done; otherwise: pass your coming turn, no reason asked"),
        Entry("circle status", M, "where the circle is: round, holder, time left, who is still to speak"),
        Entry("circle schedules", M, "the recurring circles of this server and when each meets next"),
        Entry("circle remind", M, "a private reminder an hour before each session of a recurring circle"),
        Entry("circle open", F, "open a circle here or in another channel, with its card"),
        Entry("circle start", F, "begin the first round with those who joined"),
        Entry("circle pause", F, "pause: the clock freezes and keeps the time left"),
        Entry("circle resume", F, "resume a paused circle"),
        Entry("circle skip", F, "move the stick to the next person"),
        Entry("circle extend", F, "give the current turn a few more minutes"),
        Entry("circle end", F, "end the circle and put the channel back as it was"),
        Entry("circle schedule", F, "set up a recurring circle, such as Tuesdays at 19:00"),
        Entry("circle skip-session", F, "cancel one session of a recurring circle"),
        Entry("circle unschedule", F, "end a recurring circle"),
    ),
    "prompts": (
        Entry("prompt draw", M, "a reflective prompt just for you"),
        Entry("prompt decks", M, "the prompt decks and how many prompts each has"),
        Entry("prompt redraw", F, "a different prompt for the current round of this channel's circle"),
        Entry("prompt add", A, "add a prompt of your own for this server"),
        Entry("prompt remove", A, "remove one of this server's own prompts"),
        Entry("prompt depth", A, "how deep the prompts this server draws may go"),
        Entry("prompt schedule", A, "post a prompt daily or weekly in a channel"),
        Entry("prompt schedules", A, "the scheduled prompts of this server"),
        Entry("prompt unschedule", A, "stop a scheduled prompt"),
    ),
    "streaks": (
        Entry("streak", M, "how many circles you've attended, your streaks and your next milestone"),
        Entry("privacy show", M, "what the bot keeps about you and why, in plain words"),
        Entry("privacy export", M, "all your data in this server as a file"),
        Entry("privacy delete", M, "delete everything about you in this server"),
        Entry("privacy tracking", M, "stop or resume attendance tracking for you"),
        Entry("privacy celebrate", M, "choose a private note or a public line when you reach a milestone"),
        Entry("attendance session", F, "who came to a session and who took or passed a turn"),
        Entry("attendance member", F, "one member's attendance history"),
    ),
    "guidelines": (
        Entry("rules show", M, "the group's agreements"),
        Entry("warn", F, "give a member a warning, with a reason"),
        Entry("warnings", F, "a member's warnings and their points"),
        Entry("pardon", F, "take back a warning's points"),
        Entry("rules edit", A, "write the group's agreements (or adopt the defaults)"),
        Entry("filter add", A, "add a phrase or pattern filter"),
        Entry("filter remove", A, "remove a filter"),
        Entry("filter list", A, "the server's filters"),
        Entry("filter test", A, "see which filters a text would hit"),
    ),
    "crisis": (
        Entry("resources show", M, "help lines for your country, or any country"),
        Entry("resources set-country", M, "the country whose help lines you see"),
        Entry("resources screen", M, "turn the crisis screen off or on for your own messages"),
    ),
    "setup": (
        Entry("help", M, "this help"),
        Entry("setup", A, "a step-by-step set-up of this server, with a readiness check"),
        Entry("config show", A, "every setting of every feature, and what is missing"),
        Entry("config facilitator-role", A, "the role whose members facilitate circles"),
        Entry("config timezone", A, "the server's timezone, for schedules and streaks"),
        Entry("config turn-minutes", A, "the default length of a turn"),
        Entry("config region", A, "the country whose help lines members see by default"),
        Entry("config crisis-scope", A, "where the crisis screen reads messages"),
        Entry("config crisis-alerts", A, "a private channel where facilitators are alerted"),
        Entry("config mod-log", A, "the channel for moderation cases"),
        Entry("config warn-expiry", A, "how long a warning's points count"),
        Entry("config appeal", A, "how warned members can appeal"),
        Entry("config ladder", A, "the warning ladder: points to timeouts"),
    ),
}

WHO = {M: "For everyone", F: "For facilitators", A: "For admins"}

HOW_A_CIRCLE_WORKS = (
    "**How a circle works**\n"
    "A facilitator opens a circle and posts its card; press **Join**. When the circle starts, the talking stick "
    "goes round in order. When it's yours, share what you like, or pass: it's always okay to pass. Everyone else "
    "listens without fixing or advising. Press **I'm done** when you've finished, and the stick moves on."
)


def entries_for(standing: Standing) -> dict[str, list[Entry]]:
    return {area: [e for e in entries if e.who <= standing] for area, entries in HELP.items()}


def overview(standing: Standing) -> str:
    lines = [HOW_A_CIRCLE_WORKS, "", "**Your commands**"]
    for area, entries in entries_for(standing).items():
        if entries:
            names = ", ".join(f"`/{e.command}`" for e in entries)
            lines.append(f"**{AREAS[area][0]}**: {names}")
    lines.append("\nPick an area below to see what each command does.")
    return "\n".join(lines)[:2000]


def area_detail(area: str, standing: Standing) -> str:
    title, about = AREAS[area]
    lines = [f"**{title}**", about, ""]
    entries = entries_for(standing)[area]
    for who in (M, F, A):
        group = [e for e in entries if e.who == who]
        if group:
            lines.append(f"*{WHO[who]}*")
            lines.extend(f"`/{e.command}`: {e.line}" for e in group)
    return "\n".join(lines)[:2000]


class HelpView(GuardedView):
    def __init__(self, standing: Standing, owner_id: int) -> None:
        super().__init__(timeout=900)
        self.standing = standing
        self.owner_id = owner_id
        options = [
            discord.SelectOption(label=AREAS[area][0], value=area)
            for area, entries in entries_for(standing).items()
            if entries
        ]
        select: discord.ui.Select[Any] = discord.ui.Select(placeholder="Open an area", options=options)
        select.callback = self._open  # type: ignore[method-assign]
        self.select = select
        self.add_item(select)

    async def _open(self, interaction: discord.Interaction) -> None:
        area = self.select.values[0]
        await interaction.response.edit_message(content=area_detail(area, self.standing), view=self)


class HelpCog(commands.Cog, name="Help"):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="The commands you can use, and how a circle works")
    async def help_(self, interaction: discord.Interaction) -> None:
        standing = await standing_of(self.bot, interaction)
        await send_private(interaction, overview(standing), view=HelpView(standing, interaction.user.id))
