"""Plan a mirror of the server's phrase filters into one Discord AutoMod keyword rule.

AutoMod blocks a message before anyone sees it, which the bot's own filter (it reads messages after they are
posted) cannot. But AutoMod is simpler: keywords are case-insensitive and use ``*`` as a wildcard, and it does
**no** accent, look-alike or leetspeak folding, so ``ássholé``, ``аss`` (Cyrillic ``а``) or ``4ss`` slip past a
keyword ``ass``. The mirror is a first line only; the bot's filter still checks every message with folding.

Each phrase is sent in its folded form (:func:`~bot.domain.guidelines.folding.normalize`): lowercase, no
accents, words separated by single spaces. A bare keyword is matched by AutoMod as whole words, the same way
the bot matches phrases. A ``*`` an admin typed is never passed on as a wildcard: folding has already turned it
into a word break, exactly as the bot's own filter reads it, so ``sh*t`` is the two words ``sh t`` in both.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from .folding import normalize

log = logging.getLogger(__name__)

MAX_AUTOMOD_KEYWORDS = 1_000  # per keyword rule
MAX_AUTOMOD_KEYWORD_LENGTH = 60


@dataclass(frozen=True, slots=True)
class AutoModPlan:
    keywords: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (rule id, reason in plain words)


def plan_automod(phrases: Sequence[tuple[int, str]]) -> AutoModPlan:
    """Keywords for one AutoMod rule from ``(rule id, phrase)`` pairs, and the phrases that cannot go in.

    Phrases that fold to the same keyword share it. Phrases are taken in the order given until the rule is
    full, so pass the most important first.
    """
    plan = AutoModPlan()
    seen: set[str] = set()
    for rule_id, text in phrases:
        keyword = normalize(text)
        if not keyword:
            plan.rejected.append((rule_id, "It has no letters or numbers, so AutoMod has nothing to look for."))
        elif len(keyword) > MAX_AUTOMOD_KEYWORD_LENGTH:
            plan.rejected.append(
                (rule_id, f"AutoMod keywords can be at most {MAX_AUTOMOD_KEYWORD_LENGTH} characters long.")
            )
        elif keyword in seen:
            continue
        elif len(plan.keywords) >= MAX_AUTOMOD_KEYWORDS:
            plan.rejected.append(
                (rule_id, f"An AutoMod rule holds at most {MAX_AUTOMOD_KEYWORDS:,} keywords and this one is full.")
            )
        else:
            seen.add(keyword)
            plan.keywords.append(keyword)
    return plan
