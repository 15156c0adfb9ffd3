r"""Word filters a server chooses: phrases and patterns, matched in one pass each.

Both kinds look at the text as :func:`~bot.domain.guidelines.folding.normalize` folds it, never the raw
message: lowercase, no accents, look-alike letters and leetspeak folded, single spaces between words
(punctuation is a space). That is what makes ``ÁSS``, ``аss`` (Cyrillic ``а``), ``4ss`` and ``@ss`` all the
phrase ``ass``, and it is what a pattern must be written against: ``\bfree nitro\b``, not ``free-nitro!``.
Patterns are case-insensitive as well, so ``Nitro`` in a pattern still matches.

**Phrases** go into one Aho-Corasick automaton per scope; a message is scanned once however many phrases there
are. Each phrase is stored with a space on both sides and the text is scanned with a space on both sides, so a
phrase only matches whole words: ``ass`` fires on "you ass" but never on "class" or "assist", and a phrase can
be several words ("shut up").

**Patterns** are compiled only by RE2 (``google-re2``), whose matching time is linear in the text whatever the
pattern: ``(a+)+$`` cannot backtrack because nothing backtracks. RE2 refuses what it cannot run in linear time
(backreferences, lookarounds, possessive quantifiers) and :func:`compile_pattern` turns that refusal into a
plain sentence. There is no fallback to Python's ``re``, ever: ``re2.compile`` raises ``re2.error`` rather
than falling back (tests pin this down), and this package never imports ``re``.

All the patterns of a scope go into one ``re2.Set``, which reports every pattern that matches in a single
pass. A set cannot fall back to RE2's NFA the way a single regex can, but it does not need to: when its DFA
cache fills up it flushes and carries on, and the only way it can fail for lack of memory (not even a few
states fit) is checked when it is compiled, so ``Set.Match`` never misses silently. If a set is too big to
compile, it is split in halves until every part compiles.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any

import ahocorasick
import re2

from bot.domain.refusal import Refusal

from .folding import normalize

log = logging.getLogger(__name__)

MAX_PHRASE_LENGTH = 100
MAX_PATTERN_LENGTH = 500
# RE2's program size bounds the work per character and the memory of the combined set; this keeps one
# pattern from making every message slow. Ordinary patterns are far below it (a 50-word alternation is about
# 20), ``\w{500}`` is about 4,000 and ``\pL{10}`` (any letter, ten times) about 12,000.
MAX_PATTERN_PROGRAM_SIZE = 5_000


class FilterKind(StrEnum):
    PHRASE = "phrase"
    PATTERN = "pattern"


class FilterAction(StrEnum):
    DELETE = "delete"
    WARN = "warn"
    ALERT = "alert"


class FilterScope(StrEnum):
    CIRCLES = "circles"  # only in channels where circles are held
    SERVER = "server"  # everywhere the bot can read


# The old name of the refusal a phrase or pattern gets: `Refusal` itself (keys `filter.*`), kept for callers.
FilterInputError = Refusal


@dataclass(frozen=True, slots=True)
class FilterRule:
    id: int
    kind: FilterKind
    text: str
    action: FilterAction
    scope: FilterScope


@dataclass(frozen=True, slots=True)
class FilterHit:
    rule_id: int
    action: FilterAction
    kind: FilterKind


_SEVERITY = {FilterAction.ALERT: 0, FilterAction.DELETE: 1, FilterAction.WARN: 2}


def strongest_action(hits: Iterable[FilterHit]) -> FilterAction | None:
    """What happens to a message several filters hit: warn beats delete beats alert; None for no hits."""
    return max((FilterAction(hit.action) for hit in hits), key=_SEVERITY.__getitem__, default=None)


def validate_phrase(text: str) -> str:
    """Return the folded form of a phrase an admin typed, or raise :class:`~bot.domain.refusal.Refusal`."""
    length = len(text.strip())
    if length > MAX_PHRASE_LENGTH:
        raise Refusal(
            "filter.too_long", f"That phrase is {length} characters long; a phrase can be at most {MAX_PHRASE_LENGTH}."
        )
    folded = normalize(text)
    if not folded:
        raise Refusal(
            "filter.no_letters", "That phrase has no letters or numbers in it, so there is nothing to look for."
        )
    return folded


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # refusals are reported to the admin, not written to stderr
    return options


# RE2's error text, by how it starts, in words an admin can act on. "{0}" is the part RE2 points at.
_SAFE_ENGINE = "the filter uses a safe regex engine that checks each message in a single pass"
_RE2_ERRORS: tuple[tuple[str, str], ...] = (
    ("invalid perl operator: (?=", f"Lookaheads like (?=...) and (?!...) aren't supported: {_SAFE_ENGINE}."),
    ("invalid perl operator: (?!", f"Lookaheads like (?=...) and (?!...) aren't supported: {_SAFE_ENGINE}."),
    ("invalid perl operator: (?<=", f"Lookbehinds like (?<=...) and (?<!...) aren't supported: {_SAFE_ENGINE}."),
    ("invalid perl operator: (?<!", f"Lookbehinds like (?<=...) and (?<!...) aren't supported: {_SAFE_ENGINE}."),
    ("invalid perl operator", "The group {0} isn't one the filter supports."),
    ("bad repetition operator", f"Possessive or doubled repeats like a++ or a** aren't supported: {_SAFE_ENGINE}."),
    ("invalid repetition size", "The repeat {0} can't be used: counts go up to 1000, smaller number first."),
    ("no argument for repetition operator", "The {0} has nothing before it to repeat."),
    ("missing argument to repetition operator", "The {0} has nothing before it to repeat."),
    ("missing ]", "A [ is never closed with ]."),
    ("missing )", "A ( is never closed with )."),
    ("unexpected )", "There is a ) without a ( to match it."),
    ("trailing \\", "The pattern ends with a lone backslash."),
    ("invalid named capture group", "The named group {0} isn't written in a way the filter can read."),
    ("pattern too large", "That pattern is too large to check quickly."),
)


def _explain(error: re2.error) -> str:
    raw = error.args[0] if error.args else ""
    reason = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    fragment = reason.partition(": ")[2]
    if reason.startswith("invalid escape sequence"):
        if fragment[1:2].isdigit():
            return f"Backreferences like \\1 aren't supported: {_SAFE_ENGINE}."
        return f"The escape {fragment} isn't one the filter knows (\\d, \\w, \\s and \\b are)."
    if reason.startswith("invalid character class range"):
        if fragment.startswith(("\\", "[")):
            return f"The character class {fragment} isn't one the filter knows."
        return f"The range {fragment} runs backwards: put the smaller character first."
    for prefix, sentence in _RE2_ERRORS:
        if reason.startswith(prefix):
            return sentence.format(fragment)
    return f"The filter couldn't read that pattern ({reason})."


def compile_pattern(text: str) -> Any:
    """Compile an admin's pattern with RE2 (case-insensitive) or raise :class:`~bot.domain.refusal.Refusal`.

    The pattern is matched against normalised text (see the module docstring). It is refused when it is
    empty, longer than :data:`MAX_PATTERN_LENGTH`, something RE2 cannot compile, too complex to run fast,
    or when it matches even an empty message (like ``a*``), since it would then fire on every message.
    """
    if not text.strip():
        raise Refusal("filter.pattern_empty", "The pattern is empty.")
    if len(text) > MAX_PATTERN_LENGTH:
        raise Refusal(
            "filter.pattern_too_long",
            f"That pattern is {len(text)} characters long; a pattern can be at most {MAX_PATTERN_LENGTH}.",
        )
    try:
        compiled = re2.compile(text, _options())
    except re2.error as error:
        raise Refusal("filter.pattern_unreadable", _explain(error)) from None
    if compiled.programsize > MAX_PATTERN_PROGRAM_SIZE:
        raise Refusal(
            "filter.pattern_too_complex",
            "That pattern is too complex to check quickly. Try splitting it into smaller ones.",
        )
    if compiled.search("") is not None:
        raise Refusal(
            "filter.pattern_matches_everything",
            "That pattern matches even an empty message, so it would fire on every message. "
            "Make sure it needs at least one character to match.",
        )
    return compiled


@dataclass(frozen=True, slots=True)
class _Matcher:
    """Everything needed to check a message in one scope: one automaton, a few RE2 sets."""

    automaton: Any  # ahocorasick.Automaton whose values are tuples of FilterHit, or None
    sets: tuple[tuple[Any, tuple[FilterHit, ...]], ...]  # (re2.Set, hit for each index in the set)

    def match(self, folded: str) -> tuple[FilterHit, ...]:
        found: list[FilterHit] = []
        if self.automaton is not None:
            for _end, hits in self.automaton.iter(f" {folded} "):
                found.extend(hits)
        for pattern_set, hits in self.sets:
            indexes = pattern_set.Match(folded)
            if indexes:
                found.extend(hits[index] for index in indexes)
        if not found:
            return ()
        # A phrase can occur twice and a rule id can repeat: one hit per rule, in rule id order.
        return tuple(sorted({hit.rule_id: hit for hit in found}.values(), key=attrgetter("rule_id")))


def _build_automaton(phrases: list[tuple[str, FilterHit]]) -> Any:
    if not phrases:
        return None
    by_key: dict[str, list[FilterHit]] = {}
    for folded, hit in phrases:
        by_key.setdefault(f" {folded} ", []).append(hit)
    automaton = ahocorasick.Automaton()
    for key, hits in by_key.items():
        automaton.add_word(key, tuple(hits))
    automaton.make_automaton()
    return automaton


def _build_sets(
    patterns: list[tuple[str, FilterHit]], skipped: list[tuple[int, str]]
) -> list[tuple[Any, tuple[FilterHit, ...]]]:
    if not patterns:
        return []
    pattern_set = re2.Set.SearchSet(_options())
    try:
        for text, _hit in patterns:
            pattern_set.Add(text)
        pattern_set.Compile()
    except re2.error:
        if len(patterns) == 1:
            skipped.append((patterns[0][1].rule_id, "That pattern is too large to check quickly."))
            return []
        middle = len(patterns) // 2
        return _build_sets(patterns[:middle], skipped) + _build_sets(patterns[middle:], skipped)
    return [(pattern_set, tuple(hit for _text, hit in patterns))]


def _build_matcher(
    phrases: list[tuple[str, FilterHit]], patterns: list[tuple[str, FilterHit]], skipped: list[tuple[int, str]]
) -> _Matcher | None:
    if not phrases and not patterns:
        return None
    return _Matcher(_build_automaton(phrases), tuple(_build_sets(patterns, skipped)))


@dataclass(frozen=True, slots=True)
class FilterSet:
    """A server's filters, compiled once (rebuild when an admin changes them) and matched per message.

    ``skipped`` lists rules that could not be used, as ``(rule id, reason)``: a stored rule that no longer
    validates is left out rather than breaking every other filter of the server.
    """

    _in_circles: _Matcher | None = None
    _elsewhere: _Matcher | None = None
    skipped: tuple[tuple[int, str], ...] = field(default=())

    @classmethod
    def build(cls, rules: Iterable[FilterRule]) -> FilterSet:
        skipped: list[tuple[int, str]] = []
        phrases: dict[FilterScope, list[tuple[str, FilterHit]]] = {scope: [] for scope in FilterScope}
        patterns: dict[FilterScope, list[tuple[str, FilterHit]]] = {scope: [] for scope in FilterScope}
        for rule in rules:
            try:
                # Rules straight from the database carry plain strings; an unknown one is left out.
                kind, scope = FilterKind(rule.kind), FilterScope(rule.scope)
                hit = FilterHit(rule.id, FilterAction(rule.action), kind)
            except ValueError:
                log.warning("filter rule %s left out: unknown kind, action or scope", rule.id)
                skipped.append((rule.id, "This filter's settings aren't ones the bot knows."))
                continue
            try:
                if kind is FilterKind.PHRASE:
                    phrases[scope].append((validate_phrase(rule.text), hit))
                else:
                    compile_pattern(rule.text)
                    patterns[scope].append((rule.text, hit))
            except Refusal as error:
                log.warning("filter rule %s left out: %s", rule.id, error.message)
                skipped.append((rule.id, error.message))
        server_phrases, server_patterns = phrases[FilterScope.SERVER], patterns[FilterScope.SERVER]
        everywhere = _build_matcher(server_phrases, server_patterns, skipped)
        if phrases[FilterScope.CIRCLES] or patterns[FilterScope.CIRCLES]:
            in_circles = _build_matcher(
                server_phrases + phrases[FilterScope.CIRCLES],
                server_patterns + patterns[FilterScope.CIRCLES],
                skipped,
            )
        else:
            in_circles = everywhere
        return cls(in_circles, everywhere, tuple(dict.fromkeys(skipped)))

    @property
    def empty(self) -> bool:
        return self._in_circles is None and self._elsewhere is None

    def match(self, text: str, *, in_circle_channel: bool) -> tuple[FilterHit, ...]:
        """Every rule that fires on ``text``, ordered by rule id; circles-scope rules only in circle channels."""
        matcher = self._in_circles if in_circle_channel else self._elsewhere
        if matcher is None:
            return ()  # no rules in this scope: not even normalised
        folded = normalize(text)
        if not folded:
            return ()
        return matcher.match(folded)
