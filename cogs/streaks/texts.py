"""Every word the streak, attendance and privacy commands say. Warm, short, plain; never competitive."""

from __future__ import annotations

from bot.domain.streaks import IN_A_ROW_PER_FREEZE, MAX_FREEZES, StreakInfo, StreakSummary


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


# /streak ----------------------------------------------------------------------------------------------------


def streak(summary: StreakSummary, *, tracking: bool, series_name: str | None = None) -> str:
    """The member's own `/streak`; ``series_name`` names the series of their best series streak, if any."""
    lines = ["**Your circles here**"]
    best = summary.best_series()
    if summary.sessions_attended == 0:
        lines.append(
            "You haven't been counted in a circle here yet. Taking your turn, or passing it, counts: "
            "showing up is what matters."
        )
    elif best is None:
        weekly = summary.weekly
        lines.append(f"Circles you've come to: **{summary.sessions_attended}**")
        if weekly.current:
            lines.append(f"Weeks in a row with a circle: **{weekly.current}** (your longest: {weekly.longest})")
        else:
            lines.append(f"Your longest run of weeks in a row: {weekly.longest}. Every circle is a fresh start.")
        lines.append(
            f"Streak freezes saved: **{weekly.freezes}** of {MAX_FREEZES}. You earn one for every "
            f"{IN_A_ROW_PER_FREEZE} weeks in a row; a week you miss uses one instead of ending your streak."
        )
        lines.append(NEVER_BREAKS)
    else:
        lines.extend(_with_series(summary, best[1], series_name or "your recurring circle"))
    if summary.next_milestone is not None:
        lines.append(f"Next milestone: {plural(summary.next_milestone, 'circle')}.")
    if not tracking:
        lines.append(
            "Attendance tracking is off for you, so new circles aren't counted. `/privacy tracking setting:on` "
            "turns it back on."
        )
    return "\n".join(lines)


NEVER_BREAKS = (
    "Weeks when this server held no circle, circles a facilitator called off or skipped, and sessions I missed "
    "while I was down never break a streak."
)


def _with_series(summary: StreakSummary, series: StreakInfo, name: str) -> list[str]:
    """Both streaks, the longer one first as the headline."""
    weekly = summary.weekly
    weeks = f"**{plural(weekly.current, 'week')} in a row**"
    sessions = f"**{plural(series.current, name + ' session')} in a row**"
    lines = []
    if summary.headline.current:
        lines.append(f"Your streak: {sessions if summary.headline_series_id is not None else weeks}")
    lines.append(f"Circles you've come to: **{summary.sessions_attended}**")
    lines.append(f"Weeks in a row with a circle: **{weekly.current}** (your longest: {weekly.longest})")
    lines.append(f"{name} sessions in a row: **{series.current}** (your longest: {series.longest})")
    lines.append(
        f"Streak freezes saved: **{weekly.freezes}** of {MAX_FREEZES} for your weeks, **{series.freezes}** of "
        f"{MAX_FREEZES} for {name}. You earn one for every {IN_A_ROW_PER_FREEZE} weeks or sessions in a row; one you "
        "miss uses a freeze instead of ending your streak."
    )
    lines.append(NEVER_BREAKS)
    return lines


# Milestones -------------------------------------------------------------------------------------------------


def milestone_dm(count: int, server: str) -> str:
    if count == 1:
        return f"You came to your first circle in **{server}**. Thank you for being there."
    return f"You've now come to {count} circles in **{server}**. Thank you for showing up, for yourself and the group."


def milestone_public(user_id: int, count: int) -> str:
    if count == 1:
        return f"Welcome to your first circle, <@{user_id}>. Thank you for being here."
    return f"<@{user_id}> has come to {count} circles here. Thank you for showing up."


# /attendance ------------------------------------------------------------------------------------------------

NO_ENDED_CIRCLES = "There's no circle here that has ended yet, so there's nothing to show."
UNKNOWN_CIRCLE = "I couldn't find that circle in this server. Please pick one from the list."
NOT_ENDED = "That circle is still going. Its attendance is ready once it ends."
CANCELLED = "This circle ended before it started, so nobody's attendance counts for it (and no streak breaks)."
NOBODY_RECORDED = "Nobody's attendance was recorded for this circle."


def joined_words(joined_round: int | None) -> str:
    if joined_round is None:
        return "joined (not recorded)"
    if joined_round == 0:
        return "there from the start"
    return f"joined in round {joined_round}"


def turns_words(taken: int, passed: int, skipped: int) -> str:
    parts = []
    if taken:
        parts.append(f"took {plural(taken, 'turn')}")
    if passed:
        parts.append(f"passed {plural(passed, 'time')}")
    if skipped:
        parts.append(f"skipped {plural(skipped, 'time')} by a facilitator")
    return ", ".join(parts) if parts else "no turn yet"


def member_history_empty(mention: str) -> str:
    return f"No circles are recorded for {mention} in this server."


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
