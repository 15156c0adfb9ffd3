"""Every word `/privacy` says: what the bot keeps about a member and why, export, delete, and their choices."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


# /privacy ---------------------------------------------------------------------------------------------------

PRIVACY_SHOW = (
    "**What I keep about you here, and why**\n"
    "I never keep what you say. Only these, each for one reason:\n"
    "• **Circles**: which circles you joined and whose turn it is, so a circle can run and survive a restart; "
    "if you open one, your id as its facilitator, so I can tell you privately if Discord refuses something. While "
    "a circle runs in a text channel, the channel permission I changed for you, so I can put it back exactly.\n"
    "• **Recurring circles**: if you set one up, your id, so its circles open in your name; if you asked for "
    "reminders, that you did.\n"
    "• **Gentle reminders**: when I last reminded you not to post out of turn, so it's at most once a minute.\n"
    "• **Voice circles**: a mute or stage change I made for you, until I undo it.\n"
    "• **Attendance**: when you joined or left a circle and whether you took, passed or were skipped for a turn, "
    "with the round and time, and which circles you came to. That's your streak; facilitators can see who came. "
    "`/privacy tracking setting:off` stops it.\n"
    "• **Your choices here**: tracking and celebrate on or off, and the last milestone I acknowledged, so none "
    "repeats.\n"
    "• **Prompts**: nothing about you.\n"
    "• **Guidelines**: the version of the group's agreements you accepted, and when; warnings and cases about "
    "you (points, the facilitator's reason, which agreement or filter), and cases where you acted as a "
    "facilitator.\n"
    "• **Crisis care**: your country for helplines and whether you turned the screen off. If a check-in was sent, "
    "for 24 hours only: the level, the kind of concern and the time, so you're never pestered. Never your words.\n"
    "`/privacy export` sends you all of it; `/privacy delete` erases it."
)

EXPORT_SENT = "I've sent your data to you in a direct message, as a JSON file."
EXPORT_HERE = "Your direct messages are closed, so here is your data, just for you."
EXPORT_DM = "Here is everything I keep about you in **{server}**, as you asked."

DELETE_CONFIRM = (
    "This deletes everything I keep about you in this server: your attendance and streak, your choices, your "
    "agreement to the rules, warnings and cases about you, crisis-care choices and records. It can't be undone. "
    "Circles you opened stay for the group, without your name."
)
DELETE_CONFIRM_TRACKING_OFF = (
    "\nYou've turned attendance tracking off. Deleting also deletes that choice, so new circles would be noted "
    "again; **Delete, keep tracking off** keeps just that one choice."
)
DELETE_KEPT = "Nothing was deleted. Your data is as it was."
DELETE_ONLY_YOU = "Only the person who asked can answer this."


def deleted(count: int, *, kept_tracking_off: bool, running: bool) -> str:
    lines = [f"Done. I deleted {plural(count, 'record')} about you in this server."]
    if kept_tracking_off:
        lines.append("Attendance tracking stays off for you, as you chose.")
    if running:
        lines.append(
            "You're in a circle that is still going: it keeps your place (and the channel permission it changed "
            "for you) until it ends, so it can finish and put the channel back. Run `/privacy delete` again after "
            "it ends to clear that too."
        )
    return "\n".join(lines)


TRACKING_OFF = (
    "Done. I've stopped noting your attendance in this server. Circles work just the same for you. What's already "
    "recorded stays until you delete it with `/privacy delete`."
)
TRACKING_ON = "Done. I'll note your attendance again from now on, so your circles count towards your streak."
CELEBRATE_ON = (
    "Done. When you reach a milestone, I'll say a short thank-you in the circle's channel for everyone to see."
)
CELEBRATE_OFF = "Done. Milestones stay between us: a short private note, or nothing if your DMs are closed."
