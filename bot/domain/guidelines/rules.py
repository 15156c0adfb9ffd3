"""The group agreements a new server starts with.

Drawn from peer-support practice (twelve-step shares, Rutsch's empathy circles, support-group facilitation
guides): confidentiality, speaking from your own experience, listening without fixing, one voice at a time,
the right to pass, respect without judgement, and looking after yourself. Admins edit them with ``/rules``;
these are only where a server starts. Each line is shown on its own, so each one reads as a whole sentence.
"""

from __future__ import annotations

import logging

from bot.domain.refusal import Refusal

log = logging.getLogger(__name__)

DEFAULT_RULES: tuple[str, ...] = (
    "What is shared here stays here. Hold each other's stories with care and don't repeat them outside the circle.",
    'Speak from your own experience. Say "I" rather than "you" or "everyone".',
    "Listen without fixing. Please don't give advice unless someone asks for it.",
    "One voice at a time: no cross-talk while someone is holding the turn.",
    "It's okay to pass. You never have to share, and you never have to say why.",
    "Respect each person as they are. No judgement and no put-downs.",
    "Take care of yourself. You can step out whenever you need to, and come back when you're ready.",
)

MAX_RULES = 20
MAX_RULE_LENGTH = 300
_BULLETS = "-*•·–"


# The old name of the refusal a list of agreements gets: `Refusal` itself (keys `rules.*`), kept for callers.
RulesError = Refusal


def _strip_marker(line: str) -> str:
    """Drop a leading "3.", "3)", "3:" or bullet: the bot numbers the rules itself."""
    if line[:1] in _BULLETS:
        return line[1:].strip()
    digits = len(line) - len(line.lstrip("0123456789"))
    if 0 < digits <= 2 and line[digits : digits + 1] in (".", ")", ":"):
        return line[digits + 1 :].strip()
    return line


def parse_rules(text: str) -> tuple[str, ...]:
    """The rules in a numbered list an admin typed (one rule a line), or raise :class:`~bot.domain.refusal.Refusal`.

    Blank lines are skipped and each line's own number or bullet is dropped, so a pasted list, a list the admin
    renumbered by hand and a list without numbers all read the same.
    """
    rules = tuple(rule for rule in (_strip_marker(line.strip()) for line in text.splitlines()) if rule)
    if not rules:
        raise Refusal("rules.empty", "The list is empty. Write at least one agreement, one a line.")
    if len(rules) > MAX_RULES:
        raise Refusal(
            "rules.too_many",
            f"That's {len(rules)} agreements; please keep it to {MAX_RULES} so people read them all.",
        )
    for number, rule in enumerate(rules, start=1):
        if len(rule) > MAX_RULE_LENGTH:
            raise Refusal(
                "rules.too_long",
                f"Agreement {number} is {len(rule)} characters long; please keep each one under "
                f"{MAX_RULE_LENGTH} (split it over two lines if you need to).",
            )
    return rules


def numbered(rules: tuple[str, ...] | list[str]) -> str:
    """The rules as the numbered list people read and admins edit."""
    return "\n".join(f"{number}. {rule}" for number, rule in enumerate(rules, start=1))
