"""The crisis lexicon: a versioned TOML data file, validated strictly and compiled into two matchers.

The file (``data/crisis/lexicon.toml``) has two kinds of entries:

``[[risk]]``
    phrases that signal risk. ``category`` names what they signal (see :data:`CATEGORIES`); ``tier`` is
    3 (imminent on its own), 2 (ideation, self-harm or concern for someone), 1 (distress) or 0 (a
    *modifier*: a time, a means, a goodbye that counts only alongside other signals). ``person`` says whose
    risk the phrase speaks of: ``self`` (``kill myself``), ``other`` (``kill herself``) or ``any`` (``want to
    die``: the subject is looked for in the words before it). ``flags`` (see :data:`FLAGS`) tell the context
    rules how the phrase is used.

``[[context]]``
    words that change how a risk phrase is read: negation, the subject of a sentence, laughter, gaming,
    fiction, news, quotation, past time and recovery, idioms. ``kind`` is one of :data:`CONTEXT_KINDS`.

Phrases are written as people type them (the loader normalises them with the same function as messages) and
may use a small pattern language, expanded when the file loads:

- ``(a|b|)`` one of the alternatives; an empty alternative makes the group optional;
- ``{name}`` one of the strings of ``[sets] name = [...]`` (sets may use alternatives too);
- a ``*`` at the very end matches any word starting with what comes before (``suicid*``);
- a lone ``.`` matches the end of a sentence or of the message (``i'm done .``).

Every problem is a :class:`~bot.domain.datafiles.DataFileError` that names the entry and the phrase.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import ahocorasick

from bot.domain.crisis.folding import BOUNDARY, MASK, QUOTE, normalize
from bot.domain.datafiles import DataFileError

SCHEMA_VERSION = 1

# Tier-3 categories: what makes risk imminent.
IMMINENT = ("plan", "method", "means", "timing", "goodbye", "attempt_in_progress", "other_at_risk")
CATEGORIES = (
    *IMMINENT,
    "ideation_passive",
    "ideation_active",
    "self_harm",
    "other_concern",
    "distress",
)
PERSONS = ("self", "other", "any")
FLAGS = {
    "jest": "often said as a joke or in a game; laughter, a trivial cause or gaming talk lower it",
    "abstract": "a noun such as 'suicide': news, fiction, lessons and questions to others lower it",
    "past": "told in the past tense: a recent time makes an attempt imminent, recovery talk lowers it",
    "completed": "someone else's death ('killed himself'): grief, not risk to that person",
    "explicit": "counts only with an explicit first-person subject before it ('i feel', 'im so')",
    "attempt": "an attempt told in the past: a recent time ('last night', 'just') makes it in progress",
    "soft": "a modifier too everyday to count with distress alone ('thank you for everything', 'i'm sorry')",
}
CONTEXT_KINDS = {
    "negation": "a word that negates what follows ('not', 'never', 'nunca')",
    "not_negation": "looks like negation but is not ('not gonna lie', 'cant stop')",
    "clause": "a word that starts a new clause for negation ('but', 'pero', 'aber')",
    "self": "the speaker as subject ('i', 'im', 'je', 'ich')",
    "other": "another person as subject ('she', 'he', 'they')",
    "relation": "someone the speaker knows ('my brother', 'a kid in my class', 'my friend')",
    "generic": "nobody in particular ('someone who', 'people', 'anyone')",
    "you": "the person spoken to ('you', 'are you')",
    "laughter": "laughing ('lol', 'lmao', 'jajaja', 'kkkk', 'mdr')",
    "serious": "insisting it is no joke ('fr', 'not joking', 'en serio')",
    "trivial": "a small everyday cause ('homework', 'mondays', 'this pun', 'the wifi')",
    "hyperbole": "a construction of exaggeration ('makes me want to', 'so bad i', 'if i have to')",
    "gaming": "game talk ('boss', 'respawn', 'minecraft', 'ranked')",
    "fiction": "stories, films, books, characters",
    "lyrics": "songs and lyrics",
    "news": "news, lessons, awareness, research",
    "reporting": "reported speech ('he said', 'she texted')",
    "past": "a time long ago ('years ago', 'used to', 'back then')",
    "recovery": "getting better ('doing better', 'clean', 'grateful', 'therapy helped')",
    "current": "it is happening now again ('again', 'lately', 'relapsed', 'urges')",
    "recent": "just now ('last night', 'an hour ago', 'just')",
    "benign_goodbye": "an everyday goodbye ('see you tomorrow', 'going to bed', 'for now')",
    "idiom": "a phrase that contains risk words but means something else ('to die for', 'suicide squad')",
}
# Expanding alternatives multiplies; a phrase that grows past this is almost certainly a mistake.
MAX_EXPANSIONS = 4096
_TOP_KEYS = {"schema_version", "version", "description", "options", "sets", "risk", "context"}
_RISK_KEYS = {"category", "tier", "person", "flags", "lang", "phrases", "note"}
_CONTEXT_KEYS = {"kind", "lang", "phrases", "note"}
_OPTION_DEFAULTS = {"negation_window": 3, "subject_window": 6}
_LANGS = frozenset({"en", "es", "pt", "fr", "de", "any"})


# Modifiers that can make a message imminent together with other modifiers; the others (a time, a means
# word, a soft goodbye) only ever raise a tier that some other phrase gives.
INTENTS = frozenset({"plan", "goodbye", "attempt_in_progress"})


@dataclass(frozen=True, slots=True)
class RiskTerm:
    """One normalised risk phrase and what it signals."""

    phrase: str
    category: str
    tier: int
    person: str
    flags: frozenset[str]
    length: int
    # True when this phrase alone, or with other inert phrases, can never give a tier above 0.
    inert: bool = False

    def __post_init__(self) -> None:
        inert = self.tier == 0 and self.person != "other" and (self.category not in INTENTS or "soft" in self.flags)
        object.__setattr__(self, "inert", inert)


@dataclass(frozen=True, slots=True)
class ContextTerm:
    """One normalised context phrase."""

    phrase: str
    kind: str
    length: int


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A loaded lexicon: two Aho-Corasick automatons and the words used to resolve masked letters."""

    version: str
    path: str
    risk: Any  # ahocorasick.Automaton: key -> (start offset from the end, tuple[RiskTerm, ...])
    context: Any  # ahocorasick.Automaton: key -> tuple[ContextTerm, ...]
    vocabulary: Mapping[int, tuple[str, ...]]  # word length -> the lexicon's words of that length
    negation_window: int
    subject_window: int
    risk_phrases: int
    context_phrases: int


def _expand(pattern: str, sets: Mapping[str, list[str]], where: str, depth: int = 0) -> list[str]:
    """Expand `(a|b)` and `{set}` in `pattern` into every concrete phrase."""
    parts: list[list[str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "(":
            level, j = 1, i + 1
            while j < len(pattern) and level:
                level += {"(": 1, ")": -1}.get(pattern[j], 0)
                j += 1
            if level:
                raise ValueError(f'{where}: phrase "{pattern}" has a "(" that is never closed')
            inner = pattern[i + 1 : j - 1]
            options = _split_alternatives(inner)
            expanded: list[str] = []
            for option in options:
                expanded.extend(_expand(option, sets, where, depth))
            parts.append(expanded)
            i = j
        elif ch == ")":
            raise ValueError(f'{where}: phrase "{pattern}" has a ")" with no "(" before it')
        elif ch == "{":
            j = pattern.find("}", i)
            if j < 0:
                raise ValueError(f'{where}: phrase "{pattern}" has a "{{" that is never closed')
            name = pattern[i + 1 : j].strip()
            if name not in sets:
                raise ValueError(f'{where}: phrase "{pattern}" uses {{{name}}}, which is not in [sets]')
            if depth > 4:
                raise ValueError(f'{where}: phrase "{pattern}": sets refer to each other too deeply')
            expanded = []
            for option in sets[name]:
                expanded.extend(_expand(option, sets, where, depth + 1))
            parts.append(expanded)
            i = j + 1
        else:
            j = i
            while j < len(pattern) and pattern[j] not in "(){}":
                j += 1
            parts.append([pattern[i:j]])
            i = j
    total = 1
    for part in parts:
        total *= max(len(part), 1)
        if total > MAX_EXPANSIONS:
            raise ValueError(f'{where}: phrase "{pattern}" expands to more than {MAX_EXPANSIONS} phrases')
    return ["".join(combo) for combo in product(*parts)]


def _split_alternatives(inner: str) -> list[str]:
    options, level, start = [], 0, 0
    for k, ch in enumerate(inner):
        if ch == "(":
            level += 1
        elif ch == ")":
            level -= 1
        elif ch == "|" and level == 0:
            options.append(inner[start:k])
            start = k + 1
    options.append(inner[start:])
    return options


def _key(concrete: str, where: str, pattern: str) -> tuple[str, int]:
    """Return the matcher key of one concrete phrase and its number of tokens."""
    text = " ".join(concrete.split())
    prefix = text.endswith("*")
    if prefix:
        text = text[:-1]
    if MASK in text:
        raise ValueError(f'{where}: phrase "{pattern}" has a "*" that is not at the very end')
    tokens = normalize(text).split()
    if not tokens or all(token == BOUNDARY for token in tokens):
        raise ValueError(f'{where}: phrase "{pattern}" has no words once normalised')
    if QUOTE in tokens or MASK in "".join(tokens):
        raise ValueError(f'{where}: phrase "{pattern}" contains quotation marks or masks')
    if prefix and tokens[-1] == BOUNDARY:
        raise ValueError(f'{where}: phrase "{pattern}" ends with ". *"')
    key = " " + " ".join(tokens) + ("" if prefix else " ")
    return key, len(tokens)


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str) -> DataFileError:
        return DataFileError(self.path, problem)

    def read(self, raw: dict[str, Any]) -> Lexicon:
        unknown = set(raw) - _TOP_KEYS
        if unknown:
            raise self.fail(f"unknown top-level key(s): {', '.join(sorted(unknown))}")
        if raw.get("schema_version") != SCHEMA_VERSION:
            raise self.fail(f"schema_version must be {SCHEMA_VERSION} (found {raw.get('schema_version')!r})")
        version = raw.get("version")
        if not isinstance(version, str) or not version.strip():
            raise self.fail('"version" must be a non-empty string, such as "2026.11.1"')
        options = dict(_OPTION_DEFAULTS)
        given = raw.get("options", {})
        if not isinstance(given, dict):
            raise self.fail("[options] must be a table")
        for name, value in given.items():
            if name not in _OPTION_DEFAULTS:
                raise self.fail(f'[options] has an unknown option "{name}"')
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 12:
                raise self.fail(f"[options] {name} must be a whole number from 1 to 12 (found {value!r})")
            options[name] = value
        sets = self.sets(raw.get("sets", {}))
        risk_entries = raw.get("risk")
        if not isinstance(risk_entries, list) or not risk_entries:
            raise self.fail("there must be at least one [[risk]] entry")
        context_entries = raw.get("context", [])
        if not isinstance(context_entries, list):
            raise self.fail("[[context]] entries must be an array of tables")

        risk: dict[str, list[RiskTerm]] = {}
        words: set[str] = set()
        for number, entry in enumerate(risk_entries, 1):
            for term in self.risk_terms(number, entry, sets):
                bucket = risk.setdefault(term.phrase, [])
                if term not in bucket:
                    bucket.append(term)
                words.update(word for word in term.phrase.split() if word != BOUNDARY)
        context: dict[str, list[ContextTerm]] = {}
        for number, entry in enumerate(context_entries, 1):
            for cterm in self.context_terms(number, entry, sets):
                cbucket = context.setdefault(cterm.phrase, [])
                if cterm not in cbucket:
                    cbucket.append(cterm)

        risk_automaton = ahocorasick.Automaton()
        for key, terms in risk.items():
            risk_automaton.add_word(key, (len(key), tuple(terms)))
        risk_automaton.make_automaton()
        context_automaton = ahocorasick.Automaton()
        for key, cterms in context.items():
            context_automaton.add_word(key, (len(key), tuple(cterms)))
        if context:
            context_automaton.make_automaton()
        vocabulary: dict[int, list[str]] = {}
        for word in sorted(words):
            vocabulary.setdefault(len(word), []).append(word)
        return Lexicon(
            version=version.strip(),
            path=str(self.path),
            risk=risk_automaton,
            context=context_automaton,
            vocabulary={length: tuple(group) for length, group in vocabulary.items()},
            negation_window=options["negation_window"],
            subject_window=options["subject_window"],
            risk_phrases=len(risk),
            context_phrases=len(context),
        )

    def sets(self, raw: object) -> dict[str, list[str]]:
        if not isinstance(raw, dict):
            raise self.fail("[sets] must be a table of name = [strings]")
        sets: dict[str, list[str]] = {}
        for name, values in raw.items():
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise self.fail(f"[sets] {name} must be a non-empty list of strings")
            sets[name] = values
        return sets

    def phrases(self, where: str, entry: dict[str, Any], sets: Mapping[str, list[str]]) -> Iterator[tuple[str, int]]:
        phrases = entry.get("phrases")
        if not isinstance(phrases, list) or not phrases:
            raise self.fail(f"{where}: phrases must be a non-empty list of strings")
        for pattern in phrases:
            if not isinstance(pattern, str) or not pattern.strip():
                raise self.fail(f"{where}: every phrase must be a non-empty string (found {pattern!r})")
            try:
                for concrete in _expand(pattern, sets, where):
                    yield _key(concrete, where, pattern)
            except ValueError as exc:
                raise self.fail(str(exc)) from None

    def check_lang(self, where: str, entry: dict[str, Any]) -> None:
        lang = entry.get("lang", "any")
        if lang not in _LANGS:
            raise self.fail(f"{where}: lang must be one of {', '.join(sorted(_LANGS))} (found {lang!r})")

    def risk_terms(self, number: int, entry: object, sets: Mapping[str, list[str]]) -> Iterator[RiskTerm]:
        where = f"risk entry {number}"
        if not isinstance(entry, dict):
            raise self.fail(f"{where} must be a table")
        unknown = set(entry) - _RISK_KEYS
        if unknown:
            raise self.fail(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
        category = entry.get("category")
        if category not in CATEGORIES:
            raise self.fail(f"{where}: category must be one of {', '.join(CATEGORIES)} (found {category!r})")
        where = f'risk entry {number} ("{category}")'
        tier = entry.get("tier")
        if not isinstance(tier, int) or isinstance(tier, bool) or not 0 <= tier <= 3:
            raise self.fail(f"{where}: tier must be 0 (a modifier), 1, 2 or 3 (found {tier!r})")
        if category == "distress" and tier != 1:
            raise self.fail(f"{where}: distress phrases are tier 1")
        if category in ("ideation_passive", "ideation_active", "self_harm", "other_concern") and tier not in (1, 2):
            raise self.fail(f"{where}: {category} phrases are tier 2 (or 1 for a weaker form)")
        person = entry.get("person", "any")
        if person not in PERSONS:
            raise self.fail(f"{where}: person must be one of {', '.join(PERSONS)} (found {person!r})")
        flags = entry.get("flags", [])
        if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
            raise self.fail(f"{where}: flags must be a list of strings")
        for flag in flags:
            if flag not in FLAGS:
                raise self.fail(f'{where}: unknown flag "{flag}" (known: {", ".join(FLAGS)})')
        self.check_lang(where, entry)
        frozen = frozenset(flags)
        for key, length in self.phrases(where, entry, sets):
            yield RiskTerm(key, category, tier, person, frozen, length)

    def context_terms(self, number: int, entry: object, sets: Mapping[str, list[str]]) -> Iterator[ContextTerm]:
        where = f"context entry {number}"
        if not isinstance(entry, dict):
            raise self.fail(f"{where} must be a table")
        unknown = set(entry) - _CONTEXT_KEYS
        if unknown:
            raise self.fail(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
        kind = entry.get("kind")
        if kind not in CONTEXT_KINDS:
            raise self.fail(f"{where}: kind must be one of {', '.join(CONTEXT_KINDS)} (found {kind!r})")
        where = f'context entry {number} ("{kind}")'
        self.check_lang(where, entry)
        for key, length in self.phrases(where, entry, sets):
            yield ContextTerm(key, kind, length)


def default_lexicon_path() -> Path:
    """Return the path of the shipped `data/crisis/lexicon.toml` of this repository."""
    return Path(__file__).resolve().parents[3] / "data" / "crisis" / "lexicon.toml"


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Read, validate and compile a lexicon file; raise `DataFileError` naming the file and the problem."""
    path = path if path is not None else default_lexicon_path()
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise DataFileError(path, "the file does not exist") from None
    except IsADirectoryError:
        raise DataFileError(path, "this is a folder, not a file") from None
    except OSError as exc:
        raise DataFileError(path, f"the file cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"this is not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise DataFileError(path, "the file is not UTF-8 text") from None
    return _Reader(path).read(raw)
