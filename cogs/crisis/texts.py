"""Every word crisis care says, in one place, as plain functions (no Discord here).

Safe-messaging practice shapes all of it (the US National Action Alliance's Framework for Successful Messaging,
Samaritans' guidelines for suicide content online, the National Suicide Prevention Alliance's "Responding to
suicidal content online", Orygen's #chatsafe): private, brief, warm and non-judgemental; say the message is
automated; one or two local options plus the emergency number; offer a person, never impose one; no talk of
methods; never "committed suicide"; never a promise of confidentiality; never a lecture or a punishment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import discord
from discord.utils import format_dt

from bot.domain.resources import CountryResources, Directory, Resources, Service

MAX_MESSAGE = 2000
TIER_WORDS = {
    3: "may be in immediate danger",
    2: "thoughts of suicide or self-harm",
    1: "distress",
    0: "nothing found",
}
TALK_LABEL = "Talk to a facilitator"
TALK_DONE_LABEL = "Facilitators told"
MORE_LABEL = "More resources"
OKAY_LABEL = "I'm okay"
REACH_LABEL = "I'll reach out"
# The last line of an alert, replaced by who took it.
ALERT_ASK = "Press **I'll reach out** so others know someone has it."

SCOPE_WORDS = {
    "circles": "channels with an active circle",
    "server": "every channel I can see",
    "off": "nowhere (the screen is off)",
}


@dataclass(frozen=True, slots=True)
class Place:
    """Where a member's helplines come from: a covered country, or None for the international directories."""

    country: CountryResources | None
    # Why there is no country: the member chose "somewhere not listed" (True) or nobody chose one (False).
    chose_other: bool = False


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def service_line(service: Service, *, full: bool = False) -> str:
    """`• **Samaritans**: call 116 123 · 24/7`, and with `full` its website and note on the next line."""
    ways: list[str] = []
    if service.phones:
        ways.append("call " + " or ".join(service.phones))
    if service.text:
        ways.append(service.text)
    if service.hours:
        ways.append(service.hours)
    line = f"• **{service.name}**: " + " · ".join(ways)
    if full:
        extra = [f"<{service.website}>"] if service.website else []
        if service.note:
            extra.append(service.note)
        if extra:
            line += "\n  " + " · ".join(extra)
    return line


def directory_line(directory: Directory) -> str:
    line = f"• **{directory.name}**: <{directory.url}>"
    return f"{line} · {directory.description}" if directory.description else line


def danger_line(country: CountryResources | None) -> str:
    if country is None:
        return "If you're in danger right now, please call your local emergency number."
    return f"If you're in danger right now, please call **{country.emergency}**."


def check_in(*, name: str, server: str, tier: int, place: Place, resources: Resources, alerts_on: bool) -> str:
    """The one private check-in a member gets: automated, warm, one or two local options, a person offered."""
    lines = [
        f"Hi {name}. This is an automatic message from the bot in **{server}**. Something you wrote there made me "
        "want to check in with you.",
        "",
    ]
    if place.country is not None:
        lines.append("You're not alone, and there are people who want to help. If you'd like to talk to someone now:")
        lines.extend(service_line(s) for s in place.country.services[:2])
    else:
        directory = resources.directory
        lines.append("You're not alone, and there are people who want to help.")
        lines.append(f"**{directory.name}** lists free helplines in your country: <{directory.url}>")
    lines.append(danger_line(place.country))
    lines.append("")
    if tier >= 3 and alerts_on:
        lines.append(
            "This server's facilitators are also told privately when someone may be in danger, so one of them "
            "may reach out to you."
        )
    lines.append(
        f"If you'd like a person from the server to reach out, press **{TALK_LABEL}**. If you're okay, press "
        f"**{OKAY_LABEL}** and I won't message you about this for a day."
    )
    return _clip("\n".join(lines))


def resources_text(resources: Resources, place: Place, *, asked_for: str | None = None) -> str:
    """Everything for one place: all its services with websites, the emergency number, and the directories."""
    lines: list[str] = []
    country = place.country
    if country is not None:
        lines.append(f"**Support in {country.name}**")
        lines.extend(service_line(s, full=True) for s in country.services)
        emergency = f"**Emergency:** {country.emergency}"
        if country.emergency_note:
            emergency += f" · {country.emergency_note}"
        lines.append(emergency)
        checked = min([country.emergency_checked, *(s.checked for s in country.services)])
        lines.append(f"-# Numbers last checked {checked.isoformat()} against each service's own pages.")
        lines.append("")
        lines.append("**Anywhere else**")
    elif asked_for is not None:
        lines.append(
            f"I don't have a checked list of helplines for “{asked_for[:60]}” yet. These directories cover almost "
            "every country:"
        )
    else:
        lines.append("**Helplines for your country**")
    lines.extend(directory_line(d) for d in resources.directories)
    if country is None:
        lines.append("")
        lines.append("**In an emergency**, call your local emergency number right away.")
        if asked_for is None and not place.chose_other:
            lines.append("-# Tip: choose your country with `/resources set-country` and I'll show its helplines.")
    return _clip("\n".join(lines))


def alert(*, member_id: int, tier: int, categories: tuple[str, ...], jump_url: str, dm_outcome: str) -> str:
    """A private post for facilitators: who, how urgent, a link to the message (never a copy of it)."""
    found = ", ".join(c.replace("_", " ") for c in categories) or "not specified"
    return _clip(
        "\n".join(
            [
                f"**A member may need support now** (crisis screen: tier {tier}, {TIER_WORDS.get(tier, '')})",
                f"Member: <@{member_id}>",
                f"What the screen noticed: {found}",
                f"Message: {jump_url} (not copied here; please don't quote it elsewhere)",
                dm_outcome,
                "Please reach out privately and gently: offer to listen, and don't press.",
                ALERT_ASK,
            ]
        )
    )


ALERTS_HERE = (
    "🫶 This channel now gets crisis alerts: when a message suggests a member may be in immediate danger, or a "
    "member asks to talk with a facilitator, a private note comes here with a link (never a copy of the message). "
    "Please keep this channel to facilitators."
)

DM_SENT = "I sent them a private check-in with helplines and the emergency number."
DM_CLOSED = "I couldn't message them privately (their DMs are closed), so this alert is the only response."
DM_FAILED = "I couldn't send them a private message just now."
DM_RECENT = "I didn't message them again: they heard from me, or told me they're okay, within the last day."


def talk_alert(*, member_id: int, tier: int) -> str:
    return _clip(
        "\n".join(
            [
                f"**<@{member_id}> would like to talk with a facilitator.**",
                "They asked from the bot's private check-in, sent because something they wrote suggested they may be "
                f"struggling (tier {tier}, {TIER_WORDS.get(tier, '')}).",
                "Please reach out privately and gently: offer to listen, and don't press.",
                ALERT_ASK,
            ]
        )
    )


def taken(user_mention: str, when: datetime) -> str:
    return f"✅ {user_mention} is reaching out ({format_dt(when, 'R')})."


TAKEN_MARK = "is reaching out"
ALREADY_TAKEN = "Someone is already reaching out. Thank you for checking."


def talk_sent(place: Place) -> str:
    return (
        "Thank you for asking. I've let the facilitators know privately, and one of them will reach out to you when "
        f"they can. {danger_line(place.country)}"
    )


def talk_no_channel(*, server: str, role_name: str | None, place: Place) -> str:
    who = f"anyone with the **{role_name}** role" if role_name else "a server admin"
    return _clip(
        "\n".join(
            [
                f"I'm sorry: **{server}** hasn't set up a private way for me to pass this on, so I can't tell them "
                "myself.",
                f"You could send a message to {who} there. Reaching out is a good step.",
                danger_line(place.country),
            ]
        )
    )


OKAY_REPLY = (
    "Thank you for letting me know. I won't message you about this for the next 24 hours. The buttons above still "
    "work, and `/resources show` lists helplines any time."
)


SERVER_GONE = "I can't reach that server any more."
TALK_NO_CHECK_IN = (
    "I can't find a check-in of mine for you from today, so there's nothing to pass on from this button. If you'd "
    "like someone to reach out, you can message a facilitator, and `/resources show` lists help lines any time."
)
TALK_ALREADY = "I've already let the facilitators know, and one of them will reach out to you when they can."


def alerts_went_public(server: str, channel_id: int) -> str:
    return (
        f"About **{discord.utils.escape_markdown(server)}**: everyone can now read <#{channel_id}>, the channel for "
        "crisis alerts, so I didn't post an alert there. Alerts name a member who may be in danger: please make the "
        "channel private again, or choose another with `/config crisis-alerts`."
    )
