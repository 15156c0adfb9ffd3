"""Everything the guidelines feature says to people: short, warm, plain."""

from __future__ import annotations

from datetime import datetime

from discord.utils import TimestampStyle, format_dt

from bot.domain.guidelines import FilterKind, FilterRule

DEFAULT_APPEAL = (
    "If you think this wasn't fair, you can write to a facilitator or an admin privately and ask them to look at "
    "it again. Nobody will hold that against you."
)

# Settings -------------------------------------------------------------------------------------------------------

MOD_LOG_HERE = (
    "📋 This channel is now the mod log: filter hits, warnings, timeouts, pardons and changes to the "
    "agreements are posted here as numbered cases. Crisis alerts never come here."
)

# Rules and the gate ---------------------------------------------------------------------------------------------

RULES_TITLE = "🌿 Our group's agreements"
NO_RULES = "This server hasn't written its agreements yet."
NO_RULES_ADMIN = NO_RULES + " You can write them, or start from a suggested set, with `/rules edit`."
ASK_TO_AGREE = (
    "Before you join a circle, please read the group's agreements. Press **I agree** when you're ready and I'll "
    "add you to the circle right away."
)
ASK_TO_AGREE_AGAIN = (
    "The group's agreements have changed since you last agreed. Please read them again and press **I agree** "
    "when you're ready; I'll add you to the circle right away."
)
NOT_AGREED_YET = "You haven't agreed to this version yet. Press **I agree** when you're ready."
AGREED_ALREADY = "You've agreed to these. Thank you for helping keep this space safe."
AGREED = "Thank you for agreeing. 💚"
AGREED_NOTHING_PENDING = "Thank you for agreeing. 💚 You can join circles now."
RULES_CHANGED_MEANWHILE = "The agreements changed a moment ago. Here is the new version: please read it first."
RULES_GONE = "There are no agreements to accept any more. You can join circles freely."
OFFER_DEFAULTS = (
    "This server has no agreements yet. Here is a set drawn from peer-support practice. You can use it as it is, "
    "edit it first, or write your own."
)
RULES_SAVED = (
    "Saved as version {version}. Members will be asked to agree to the new version before they next join a circle."
)
RULES_ADOPTED = "Done. These are now the group's agreements (version 1)."
RULES_UNCHANGED = "Nothing changed, so the agreements stay at version {version}."
RULES_CONFLICT = (
    "Someone else changed the agreements while you were editing, so I didn't save yours. Please open "
    "`/rules edit` again to start from the newest version."
)
MODAL_TITLE = "The group's agreements"
MODAL_LABEL = "One agreement a line"
MODAL_PLACEHOLDER = "1. What is shared here stays here.\n2. Speak from your own experience."

# Filters --------------------------------------------------------------------------------------------------------

FILTER_CAP = "A server can have at most {limit:,} {kind} filters, and this one is full. Remove one first."
FILTER_DUPLICATE = "There's already a filter for that (#{id}). Remove it first if you'd like to change it."
FILTER_UNKNOWN = "I can't find that filter. Pick one from the list as you type."
NOT_WARNED_BY_FILTER = (
    "Not warned: the bot never warns the owner, admins, bots, or anyone whose highest role isn't below its own."
)
NO_FILTERS = "This server has no filters yet. Add one with `/filter add`."
NEEDS_MANAGE_MESSAGES = (
    "Heads-up: I don't have the **Manage Messages** permission, so I can't delete messages yet. "
    "An admin can add it to my role in Server Settings → Roles."
)
NEEDS_TIMEOUT_MEMBERS = (
    "Heads-up: I don't have the **Timeout Members** permission, so the warning ladder's timeouts can't be "
    "applied yet. An admin can add it to my role in Server Settings → Roles."
)
CRISIS_WOULD_FLAG = (
    "The crisis screen would flag this text, so no filter would act on it: the person would be offered care, "
    "never a penalty."
)

SCOPE_WORDS = {"circles": "in circle channels", "server": "everywhere in the server"}
ACTION_WORDS = {
    "delete": "delete it and tell the author privately",
    "warn": "delete it and give the author a warning",
    "alert": "leave it and tell the mod log",
}


def describe_filter(rule: FilterRule) -> str:
    """How a filter reads in lists and in the mod log."""
    text = rule.text if len(rule.text) <= 120 else rule.text[:119] + "…"
    if rule.kind == FilterKind.PHRASE:
        return f"#{rule.id} phrase “{text}”"
    return f"#{rule.id} pattern `{text.replace('`', 'ˋ')}`"


def filter_for_member(rule: FilterRule) -> str:
    """Which filter a message touched, as its author is told: a phrase they wrote, never an admin's pattern."""
    if rule.kind == FilterKind.PHRASE:
        return f"the phrase “{rule.text[:100]}”"
    return "a pattern this server filters"


# Warnings -------------------------------------------------------------------------------------------------------

NEEDS_TIMEOUT_FOR_WARNING = (
    "I didn't record this warning: it would bring {member} to {points} points, which means a timeout of "
    "{duration}, and {problem} Nothing has changed; please try again once that's sorted."
)
MISSING_TIMEOUT_PERMISSION = (
    "I don't have the **Timeout Members** permission. An admin can add it to my role in Server Settings → Roles."
)
ROLE_TOO_LOW = (
    "my role isn't above theirs, so Discord won't let me time them out. An admin can move my role higher in "
    "Server Settings → Roles."
)
UNKNOWN_RULE = "This server's agreements have no number {number}. Check `/rules show` for the list."
NO_SUCH_CASE = "I can't find case {number} in this server."
NOT_A_WARNING = "Case {number} isn't a warning, so there are no points to pardon."
ALREADY_PARDONED = "Case {number} was already pardoned."
OWN_PARDON = "You can't pardon a warning given to you. Please ask another facilitator."
NO_WARNINGS = "{member} has no warnings here."
ONLY_OWN_WARNINGS = "You can see your own warnings with `/warnings`; only facilitators can see other people's."


def when(moment: datetime, style: TimestampStyle = "f") -> str:
    return format_dt(moment, style)
