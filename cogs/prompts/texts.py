"""Every word the prompts feature says to people, in one place: warm, short and plain."""

from __future__ import annotations

from datetime import datetime

from discord.utils import format_dt

from bot.domain.prompts import Deck, Depth, Prompt
from bot.domain.recurrence import DAY_NAMES, MONTH_NAMES

NO_CIRCLE = (
    "There's no open circle in this channel, so there's no round prompt to redraw. "
    "A facilitator can open one with `/circle open`."
)
NO_PROMPT = (
    "I couldn't find a prompt in that deck at this server's depth. An admin can add one with `/prompt add` "
    "or let prompts go deeper with `/prompt depth`."
)
DRAW_FOOTER = "This one is just for you: no need to answer anywhere. Take your time."
SCHEDULED_FOOTER = "Share if you'd like, or simply sit with it. Passing is always okay."
THREAD_FOOTER = "Replies go in the thread below, so this channel stays calm."
THREAD_INVITE = (
    "This thread is for replies to today's prompt. Share as much or as little as you like, "
    "and please be gentle with each other's words. Reading along is welcome too."
)
NO_SERVER_PROMPT = "I couldn't find that prompt among this server's own prompts. Please pick one from the list."
NO_SCHEDULE = "I couldn't find that schedule. Please pick one from the list."
NO_SCHEDULES = "This server has no scheduled prompts yet. An admin can add one with `/prompt schedule`."
TOO_MANY_SCHEDULES = "This server already has {limit} scheduled prompts, which is the most I keep. Remove one first."
SCHEDULE_CHANNEL = "Scheduled prompts go to a text channel. Please choose one."

DEPTH_WORDS = {
    Depth.LIGHT: "light (easy, everyday questions)",
    Depth.MEDIUM: "medium (a little more personal)",
    Depth.DEEP: "deep (the most personal, with content notes where they touch loss or pain)",
}


def unknown_deck(name: str, decks: dict[str, Deck]) -> str:
    listed = ", ".join(f"`{d.id}`" for d in decks.values())
    return f"There's no deck called “{name[:40]}”. Please pick one from the list: {listed}."


def render(prompt: Prompt) -> str:
    """The prompt as posted: its content note first, when it has one, so people can choose to pass."""
    if prompt.content_note:
        return f"*Content note: {prompt.content_note}*\n{prompt.text}"
    return prompt.text


def draw_reply(prompt: Prompt, deck: Deck) -> str:
    return f"**A prompt for you** ({deck.name})\n\n{render(prompt)}\n\n-# {DRAW_FOOTER}"


def redrawn_post(prompt: Prompt, round_: int, rounds: int) -> str:
    which = f"round {round_} of {rounds}" if rounds > 1 else "this round"
    return f"**A new prompt for {which}**\n{render(prompt)}"


def redrawn_reply(round_: int) -> str:
    return f"Done: I posted a new prompt for round {round_} in the circle's channel."


def scheduled_post(prompt: Prompt, deck: Deck, *, daily: bool, thread: bool) -> str:
    when = "today" if daily else "this week"
    footer = THREAD_FOOTER if thread else SCHEDULED_FOOTER
    return f"**A question to sit with {when}** ({deck.name})\n{render(prompt)}\n-# {footer}"


def thread_name(local: datetime) -> str:
    # Not strftime: it follows the process locale, and these words are English.
    return f"Reflections, {DAY_NAMES[local.weekday()]} {local.day} {MONTH_NAMES[local.month - 1]}"


def added_reply(prompt: Prompt, deck: Deck, max_depth: Depth) -> str:
    text = f"Added to the **{deck.name}** deck, for this server only:\n{render(prompt)}"
    if prompt.depth > max_depth:
        text += (
            f"\n\nIt's a {prompt.depth.value} prompt and this server's prompts go only as deep as "
            f"{max_depth.value} for now, so it will come up once an admin raises that with `/prompt depth`."
        )
    return text


def removed_reply(prompt: Prompt) -> str:
    return f"Removed this server's prompt: “{short(prompt.text, 120)}”"


def depth_reply(depth: Depth) -> str:
    return f"Done. Prompts in this server now go as deep as **{DEPTH_WORDS[depth]}**."


def deck_lines(decks: list[tuple[Deck, int, int]], depth: Depth) -> str:
    """One line per deck: name, id, description, how many prompts (and how many are this server's own)."""
    lines = ["**Prompt decks**"]
    for deck, total, own in decks:
        count = f"{total} prompts" + (f", {own} from this server" if own else "")
        lines.append(f"• **{deck.name}** (`{deck.id}`): {deck.description} {count}.")
    lines.append(f"\nThis server's prompts go as deep as **{depth.value}**.")
    return "\n".join(lines)


def permission_missing(channel_mention: str, words: list[str]) -> str:
    missing = " and ".join(f"**{w}**" for w in words)
    return (
        f"I can't post prompts in {channel_mention} yet: I'm missing {missing} there. A server admin can grant "
        "it in the channel's settings (Permissions), then schedule again. Nothing was scheduled."
    )


def scheduled_reply(
    *, describe: str, tz: str, channel_mention: str, deck: Deck, thread: bool, first: datetime, note: str | None
) -> str:
    where = f"in {channel_mention}" + (", with a thread for replies" if thread else "")
    text = (
        f"Scheduled: a prompt from **{deck.name}** {describe} ({tz} time) {where}. "
        f"The first one comes {format_dt(first, 'F')}."
    )
    if tz == "UTC":
        text += " If your group lives elsewhere, an admin can set the server's timezone with `/config timezone`."
    if note:
        text += f"\n{note}"
    return text


def schedule_line(number: int, *, describe: str, channel_mention: str, deck: Deck, thread: bool, due: datetime) -> str:
    extra = ", with a thread" if thread else ""
    return f"{number}. {describe} in {channel_mention}, {deck.name}{extra}; next {format_dt(due, 'R')}"


def schedule_label(*, describe: str, channel_name: str, deck: Deck) -> str:
    return short(f"{describe} in #{channel_name} ({deck.name})", 100)


def unscheduled_reply(describe: str, channel_mention: str) -> str:
    return f"Done. I won't post prompts {describe} in {channel_mention} any more."


def short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
