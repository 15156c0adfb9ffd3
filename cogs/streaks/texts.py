"""Every word the streak and attendance commands say. Warm, short, plain; never competitive."""

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
