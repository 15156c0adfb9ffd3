"""Everything the circle (and a recurring circle) says, in one place: warm, short, plain."""

from __future__ import annotations

from datetime import datetime

from discord.utils import format_dt

from bot.domain.circle import CircleFormat, CircleSettings, Enforcement
from bot.wording import minutes as minutes


def when(moment: datetime) -> str:
    """A Discord timestamp that every client counts down by itself."""
    return format_dt(moment, "R")


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


CARD_TITLES = {
    CircleFormat.TALKING_STICK: "🪶 A talking-stick circle is open",
    CircleFormat.EMPATHY: "🪶 An empathy circle is open",
}

HOW_IT_WORKS = {
    CircleFormat.TALKING_STICK: (
        "One person holds the talking stick and shares; everyone else listens.\n"
        "When your turn comes you can share, or simply pass: it's always okay to pass.\n"
        "Press **I'm done** when you've finished, and the stick moves on."
    ),
    CircleFormat.EMPATHY: (
        "The speaker shares and picks one active listener.\n"
        "The listener reflects back what they heard, until the speaker feels heard.\n"
        "Then the listener becomes the next speaker. It's always okay to pass."
    ),
}

ENFORCEMENT_NOTE = {
    Enforcement.STRICT: "Only the person holding the stick can post here during a turn (facilitators too).",
    Enforcement.GENTLE: "Everyone can still post, but please let the person holding the stick speak.",
}

ADMIN_NOTE = "Server admins and the owner can always post: Discord lets them past any lock."
VOICE_NOTE = (
    "During a turn everyone here is muted except the person holding the stick; facilitators are never muted. "
    "Everyone is unmuted when they leave the circle or the channel, and when the circle ends."
)
STAGE_NOTE = (
    "When the stick comes to you, I'll invite you on stage: accept the invitation in Discord to speak. "
    "You go back to the audience when the stick moves on."
)


def floor_note(kind: str, enforcement: Enforcement) -> str:
    """The card's footer: how the floor is kept in this kind of channel."""
    if kind == "voice":
        return VOICE_NOTE
    if kind == "stage":
        return STAGE_NOTE
    return f"{ENFORCEMENT_NOTE[enforcement]} {ADMIN_NOTE}"


def settings_line(settings: CircleSettings) -> str:
    rounds = "1 round" if settings.rounds == 1 else f"{settings.rounds} rounds"
    return f"{minutes(settings.turn_seconds)} a turn · {rounds} · {settings.enforcement.value}"


OPENED = "Your circle is open in {channel}. When people have joined, use `/circle start`."
JOINED = "You're in. Welcome. When your turn comes you can share or pass; both are okay."
JOINED_MID = "You're in. Welcome. You'll get a turn later in this round."
LEFT = "You've left the circle. Take care of yourself; you're welcome back any time."
PASS_NOTED = "Noted: you'll pass your coming turn. No reason needed."
DONE_THANKS = "Thank you for sharing."
STARTED = "The circle has started."
PAUSED_REPLY = "Paused. The clock is held."
RESUMED_REPLY = "Resumed."
SKIPPED_REPLY = "The stick has moved on."
ENDED_REPLY = "The circle has ended and the channel is back as it was."

ALREADY_CLOSED = "This circle has already closed. Thank you for being part of it."
NO_CIRCLE = "There's no open circle in this channel. A facilitator can open one with `/circle open`."
ALREADY_OPEN = "This channel already has an open circle. End it with `/circle end` before opening another."
HANDS_STAGE_ONLY = "Raised hands are a stage thing: `from_hands` works for circles held in a stage channel."
THREAD_STRICT = (
    "Threads can't be locked to one speaker (they have no permission settings of their own). "
    "Open the circle with `enforcement: gentle`, or use a text channel."
)
NOT_A_CIRCLE_CHANNEL = (
    "Circles can be held in text, voice and stage channels, and in threads. Please pick one of those."
)

SPEAKER_PASSED = "It's okay to pass. The stick moves on, with no reflection this time."
REFLECTED_THANKS = "Thank you for reflecting. The speaker can now say whether they feel heard."
HEARD_REPLY = "Thank you. The listener becomes the next speaker."
NOT_QUITE_REPLY = "Thank you for saying so. They'll try again."
LISTENER_REPLY = "{listener} will listen and reflect back."
CHANNEL_GONE = "I can't see this circle's channel any more."
SOMEONE_IN_THE_CIRCLE = "a member of the circle"  # a name for the listener menu when Discord can't tell it
IN_STEP_AGAIN = "Thank you. The channel is in step with the circle again."

IN_OUR_WORDS = {
    "circle.speaker_only": "Only the person who shared can say whether they feel heard.",
}
"""The circle's own words for some of the rulebook's refusals, by key: what the card's buttons say."""


def turn_started(
    holder: int,
    ends_at: datetime | None,
    round_: int,
    rounds: int,
    round_opened: bool,
    prompt: str | None = None,
    *,
    empathy: bool = False,
) -> str:
    lines = []
    if round_opened:
        lines.append(f"**Round {round_} of {rounds}** begins." if rounds > 1 else "**The circle begins.**")
        if prompt:
            quoted = "\n".join(f"> {line}" for line in prompt.splitlines())
            lines.append(f"💭 A prompt for this round, to share on or to set aside:\n{quoted}")
    if ends_at is None:
        lines.append(f"🪶 {mention(holder)}, the stick is yours when the circle resumes.")
    else:
        lines.append(
            f"🪶 {mention(holder)}, the stick is yours. Share if you'd like, or pass. Time ends {when(ends_at)}."
        )
    if empathy:
        lines.append("Choose who will listen and reflect back from the menu below (or I'll ask the next person).")
    return "\n".join(lines)


def listener_chosen(listener: int, *, auto: bool) -> str:
    if auto:
        return f"👂 I've asked {mention(listener)} to listen and reflect back."
    return f"👂 {mention(listener)} will listen and reflect back."


def reflect(speaker: int, listener: int, ends_at: datetime | None, attempt: int) -> str:
    again = " Take another go, gently." if attempt > 1 else ""
    timing = f" Time ends {when(ends_at)}." if ends_at is not None else ""
    return (
        f"👂 {mention(listener)}, please reflect back in your own words what you heard from {mention(speaker)}."
        f"{again}{timing}\n{mention(speaker)}, press **I feel heard** when it lands, or **Not quite**."
    )


def confirm(speaker: int, ends_at: datetime | None, *, last_try: bool) -> str:
    note = " (If not quite, that's okay: the turn closes gently.)" if last_try else ""
    timing = f" I'll take it as a yes {when(ends_at)}." if ends_at is not None else ""
    return f"💬 {mention(speaker)}, do you feel heard?{note}{timing}"


def heard(speaker: int, listener: int) -> str:
    return f"💚 {mention(speaker)} feels heard. Thank you, {mention(listener)}."


def warning(holder: int, ends_at: datetime) -> str:
    return f"⏳ {mention(holder)}, a gentle heads-up: your time ends {when(ends_at)}. Take a moment to close."


def paused(holder: int | None) -> str:
    if holder is None:
        return "⏸️ The circle is paused."
    return f"⏸️ The circle is paused. {mention(holder)} keeps the stick and their time is held."


def resumed(holder: int | None, ends_at: datetime) -> str:
    if holder is None:
        return "▶️ The circle continues."
    return f"▶️ The circle continues. {mention(holder)}, your time ends {when(ends_at)}."


def extended(holder: int | None, ends_at: datetime | None, seconds: int) -> str:
    who = mention(holder) if holder else "This turn"
    if ends_at is None:
        return f"{who} has {minutes(seconds)} more, once the circle resumes."
    return f"{who} has {minutes(seconds)} more. Time now ends {when(ends_at)}."


def ended(reason: str) -> str:
    if reason == "empty":
        return "🌿 Everyone has left, so the circle has closed. Thank you for being here."
    return "🌿 The circle has closed. Thank you all for sharing and for listening."


def status_lines(
    *,
    settings: CircleSettings,
    status: str,
    round_: int,
    holder: int | None,
    time_left_seconds: int | None,
    ends_at: datetime | None,
    upcoming: list[int],
    passing: set[int],
    participants: int,
) -> str:
    lines = [f"**{settings.format.value} circle** · {settings_line(settings)}"]
    if status == "gathering":
        lines.append(f"Gathering: {participants} joined so far. A facilitator will start it soon.")
        return "\n".join(lines)
    lines.append(f"Round {round_} of {settings.rounds}" + (" · paused" if status == "paused" else ""))
    if holder is not None:
        if status == "paused" and time_left_seconds is not None:
            lines.append(f"Holding the stick: {mention(holder)} ({minutes(time_left_seconds)} left, held)")
        elif ends_at is not None:
            lines.append(f"Holding the stick: {mention(holder)} (time ends {when(ends_at)})")
    if upcoming:
        names = ", ".join(mention(u) + (" (passing)" if u in passing else "") for u in upcoming)
        lines.append(f"Still to speak this round: {names}")
    else:
        lines.append("Everyone else has spoken this round.")
    return "\n".join(lines)


def reminder(channel_mention: str) -> str:
    return (
        f"A gentle reminder from the circle in {channel_mention}: someone is holding the talking stick right now. "
        "Your turn will come, and you can share then. Thank you for listening. 🌿"
    )


def permission_problem(action: str, missing: str) -> str:
    return (
        f"I couldn't {action} because I'm missing a permission: **{missing}**. Nothing else has changed. "
        "A server admin can grant it in the channel's settings (Permissions), then try again."
    )


def discord_problem(action: str) -> str:
    return (
        f"Discord didn't let me {action} just now. The circle is safe and keeps its place. "
        "I'll try again at the next turn, or you can press **Try again** or end the circle cleanly."
    )


# Recurring circles ------------------------------------------------------------------------------------------

MAX_SERIES = 25  # what one autocomplete list can show

NO_SERIES = "I couldn't find that recurring circle. Pick one from the list as you type, or see `/circle schedules`."
NONE_YET = "There are no recurring circles here yet. A facilitator can set one up with `/circle schedule`."
TOO_MANY = f"This server already has {MAX_SERIES} recurring circles, which is as many as I can keep. " + (
    "Unschedule one with `/circle unschedule` first."
)
NO_NAME = "Please give the circle a name, like “Grief circle”."
ALREADY_OPEN_SESSION = (
    "That session's circle is already open. If it isn't going ahead, end it with `/circle end` in its channel."
)
EVENT_PERMISSION_NOTE = (
    "I couldn't add the sessions to the server's Events because I'm missing **{missing}**. "
    "Everything else works: the circle still opens by itself. A server admin can grant it, and the next "
    "sessions will appear in Events."
)
BAD_DATE = "I couldn't read that date. Pick one from the list, or type it like `2026-03-17`."
SERIES_CHANNEL_GONE = "I can't see its channel any more, so I couldn't open the circle."


def scheduled_reply(
    name: str, described: str, tz: str, channel_id: int, first: datetime, open_minutes_before: int, auto_start: bool
) -> list[str]:
    return [
        f"🗓️ **{name}** is set: {described} ({tz} time) in <#{channel_id}>.",
        f"The first session is {format_dt(first, 'F')}. I'll open the circle "
        + (f"{open_minutes_before} minutes before" if open_minutes_before else "at the start time")
        + (" and start it on time." if auto_start else "; you start it with `/circle start` as usual."),
        "Members can ask for a reminder an hour before with `/circle remind`.",
    ]


def reminder_dm(name: str, channel_id: int, starts_at: datetime) -> str:
    return (
        f"🔔 A gentle reminder: **{name}** starts {format_dt(starts_at, 'R')} ({format_dt(starts_at, 't')}) "
        f"in <#{channel_id}>. Come as you are; it's always okay to just listen or pass.\n"
        "You asked for these reminders; `/circle remind` turns them off."
    )


def opening_line(name: str, starts_at: datetime, now: datetime) -> str:
    when_ = f"starts {format_dt(starts_at, 'R')}" if starts_at > now else "is starting now"
    return f"🗓️ This is **{name}**, which {when_}. Press **Join** on the card to take part."


def event_description(described: str) -> str:
    return f"{described.capitalize()}. A talking-stick circle: come as you are; passing is okay."


def series_line(name: str, described: str, channel_id: int) -> str:
    return f"• **{name}**: {described} in <#{channel_id}>"


def next_session(moment: datetime, open_now: bool) -> str:
    return f". Next: {format_dt(moment, 'F')} ({format_dt(moment, 'R')})" + (" (open now)" if open_now else "")


STARTS_BY_ITSELF = " · starts by itself"
YOU_GET_A_REMINDER = " · 🔔 you get a reminder"


def series_list_head(tz: str) -> str:
    return f"**Recurring circles** (times in {tz}):"


def no_session_on(name: str, day: str) -> str:
    return f"**{name}** has no session coming up on {day}. Pick a date from the list as you type."


def session_already_off(name: str, day: str) -> str:
    return f"The {name} session on {day} is already off. Nothing to do."


def session_skipped(name: str, day: str) -> str:
    return (
        f"The **{name}** session on {day} is skipped, and its event is "
        "cancelled. It doesn't count against anyone's streak."
    )


def unscheduled(name: str) -> str:
    return (
        f"**{name}** is unscheduled: no more sessions will open, and its coming events are cancelled. "
        "A circle that is open right now carries on. Thank you for holding this space."
    )


def reminders_on(name: str) -> str:
    return (
        f"🔔 I'll send you a DM an hour before each **{name}** session. "
        "If your DMs from this server are closed, I won't be able to reach you. "
        "Turn it off any time with `/circle remind` and `setting: off`."
    )


def reminders_off(name: str) -> str:
    return f"Reminders for **{name}** are off. You're always welcome to come."


def could_not_open(name: str, why: str) -> str:
    return f"I couldn't open **{name}** this time. {why}"


def could_not_start(name: str, channel_id: int, why: str) -> str:
    return (
        f"**{name}** is open in <#{channel_id}>, but I couldn't start it on time: {why} "
        "You can start it with `/circle start` when you're ready."
    )


def about_your_circle(channel_id: int, text: str) -> str:
    return f"About your circle in <#{channel_id}>: {text}"


UNREADABLE_AT_RESTART = (
    "I couldn't read this circle's saved state after a restart, so I've ended it and put the channel back as it "
    "was. I'm sorry for the interruption: you can open a new circle with `/circle open`."
)
