"""Reflective prompt decks: loading the shipped TOML decks and choosing the prompt that opens a round.

Pure domain code: no Discord, no settings, no database. The cog loads the decks once at start (a broken deck
is a `DataFileError` naming the file), stores per circle the set of prompt keys already used, and asks
`pick_prompt` for the next one.

A deck file in `prompts/` looks like this (the file is named after the deck id, here `grief.toml`)::

    id = "grief"
    name = "Grief and loss"
    description = "One line, at most 100 characters (it is shown in a select menu)."
    version = 1
    deep_prompts_need_content_note = true   # optional, default false

    [[prompts]]
    id = "grief-024"                        # "<deck id>-NNN"; stable: never renumber or reuse
    depth = "deep"                          # light, medium or deep
    text = "What do you wish you could say ...?"
    content_note = "This prompt ..."        # optional; shown before the prompt

Deep prompts need a content note when their deck says so, and in every deck when their text speaks of
death, grief, loss or trauma (a word list can only catch the obvious cases; the deck flag covers the rest).
"""

from __future__ import annotations

import logging
import random
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.domain.datafiles import DataFileError
from bot.domain.refusal import Refusal

log = logging.getLogger(__name__)

MAX_PROMPT_LENGTH = 300
# A content note is a short heads-up, not a second prompt.
MAX_CONTENT_NOTE_LENGTH = 200
# Deck names and descriptions appear as labels and descriptions of a Discord select option (100 each).
MAX_DECK_NAME_LENGTH = 100
MAX_DECK_DESCRIPTION_LENGTH = 100

CHECK_IN_DECK = "check-in"
CLOSING_DECK = "closing"
MIDDLE_ROUND_DECK = "connection"

_DECK_KEYS_REQUIRED = ("id", "name", "description", "version", "prompts")
_DECK_KEYS_OPTIONAL = ("deep_prompts_need_content_note",)
_PROMPT_KEYS_REQUIRED = ("id", "text", "depth")
_PROMPT_KEYS_OPTIONAL = ("content_note",)

_DECK_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NOT_WORD = re.compile(r"[\W_]+")
# Words that mark a prompt as touching death, grief, loss or trauma. Deliberately broad: a needless content
# note costs a line, a missing one can blindside someone who is grieving.
_SENSITIVE = re.compile(
    r"\b(?:grie(?:f|ve|ving|ved)|loss(?:es)?|lost|lose|losing|died|dies|death|dying|dead|deceased|funeral"
    r"|bereave\w*|mourn\w*|trauma\w*|abuse\w*|assault\w*|suicid\w*|self-harm\w*|miscarr\w*)\b",
    re.IGNORECASE,
)


class Depth(StrEnum):
    """How much a prompt asks of people; ordered light < medium < deep (not alphabetically)."""

    LIGHT = "light"
    MEDIUM = "medium"
    DEEP = "deep"

    @property
    def rank(self) -> int:
        return _DEPTH_ORDER.index(self)

    # str's own comparisons would order the values alphabetically (deep < light < medium).
    def __lt__(self, other: str) -> bool:
        return self.rank < Depth(other).rank

    def __le__(self, other: str) -> bool:
        return self.rank <= Depth(other).rank

    def __gt__(self, other: str) -> bool:
        return self.rank > Depth(other).rank

    def __ge__(self, other: str) -> bool:
        return self.rank >= Depth(other).rank


_DEPTH_ORDER: tuple[Depth, ...] = (Depth.LIGHT, Depth.MEDIUM, Depth.DEEP)
_DEPTH_WORDS = ", ".join(d.value for d in _DEPTH_ORDER)


@dataclass(frozen=True, slots=True)
class Prompt:
    """One reflective prompt: shipped in a deck file, or added by a server (`server_prompt_id` set)."""

    id: str
    deck: str
    text: str
    depth: Depth
    content_note: str | None = None
    server_prompt_id: int | None = None

    @property
    def key(self) -> str:
        """What a circle's used set records: the id for shipped prompts, `server:<n>` for a server's own."""
        if self.server_prompt_id is not None:
            return server_prompt_key(self.server_prompt_id)
        return self.id


@dataclass(frozen=True, slots=True)
class Deck:
    id: str
    name: str
    description: str
    version: int
    prompts: tuple[Prompt, ...]
    deep_prompts_need_content_note: bool = False


@dataclass(frozen=True, slots=True)
class ServerPromptDraft:
    """A server prompt that passed validation, ready to be stored; `to_prompt` once it has its row id."""

    deck: str
    text: str
    depth: Depth
    content_note: str | None

    def to_prompt(self, server_prompt_id: int) -> Prompt:
        return Prompt(
            id=server_prompt_key(server_prompt_id),
            deck=self.deck,
            text=self.text,
            depth=self.depth,
            content_note=self.content_note,
            server_prompt_id=server_prompt_id,
        )


class NoPromptAvailable(LookupError):
    """No candidate prompt is within the circle's depth limit (an empty deck, or only deeper prompts).

    Not a `Refusal`: nobody asked for something the rules forbid. It is control flow, and each caller decides
    what it means there: a round opens without a prompt, a scheduled post is left out (both logged), and only
    `/prompt draw` and `/prompt redraw` turn it into a kind sentence.
    """


def server_prompt_key(server_prompt_id: int) -> str:
    return f"server:{server_prompt_id}"


def normalise_text(text: str) -> str:
    """Fold case and keep only letters and digits, so "What's new?" and "whats  new" compare equal."""
    return _NOT_WORD.sub("", text.casefold())


def needs_content_note(text: str, depth: Depth, deck_requires_notes: bool) -> bool:
    """Whether a prompt must carry a content note: deep, and in a deck that says so or about loss."""
    return depth is Depth.DEEP and (deck_requires_notes or _SENSITIVE.search(text) is not None)


# --- loading -------------------------------------------------------------------------------------------


def load_decks(directory: Path) -> dict[str, Deck]:
    """Read and strictly validate every `*.toml` deck in `directory`, keyed by deck id in file-name order.

    Raises `DataFileError(path, problem)` on the first problem, naming the file and the prompt.
    """
    paths = sorted(directory.glob("*.toml")) if directory.is_dir() else []
    if not paths:
        raise DataFileError(directory, "no prompt deck files (*.toml) were found in this folder")
    decks: dict[str, Deck] = {}
    prompt_files: dict[str, Path] = {}
    texts: dict[str, tuple[Path, str]] = {}
    for path in paths:
        deck = _parse_deck(path, _read_toml(path))
        if deck.id in decks:
            raise DataFileError(path, f"deck id '{deck.id}' is already used by another deck file")
        for prompt in deck.prompts:
            if prompt.id in prompt_files:
                where = _elsewhere(prompt_files[prompt.id], path)
                raise DataFileError(path, f"prompt '{prompt.id}': this id is used twice{where}")
            prompt_files[prompt.id] = path
            norm = normalise_text(prompt.text)
            if norm in texts:
                other_path, other_id = texts[norm]
                where = _elsewhere(other_path, path)
                raise DataFileError(
                    path,
                    f"prompt '{prompt.id}': same text as prompt '{other_id}'{where} (ignoring case and punctuation)",
                )
            texts[norm] = (path, prompt.id)
        decks[deck.id] = deck
    log.debug("loaded %d prompt decks with %d prompts from %s", len(decks), len(prompt_files), directory)
    return decks


def _elsewhere(other: Path, path: Path) -> str:
    return "" if other == path else f" (also in {other.name})"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, f"the file could not be read ({exc.strerror or exc})") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataFileError(path, "the file is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"the file is not valid TOML ({exc})") from exc


def _check_keys(
    path: Path, where: str, table: Mapping[str, Any], required: Sequence[str], optional: Sequence[str]
) -> None:
    allowed = (*required, *optional)
    for key in table:
        if key not in allowed:
            raise DataFileError(path, f"{where}unknown key '{key}' (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in table:
            raise DataFileError(path, f"{where}missing key '{key}'")


def _type_name(value: object) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def _text(path: Path, where: str, key: str, value: object, limit: int, one_line: bool = False) -> str:
    if not isinstance(value, str):
        raise DataFileError(path, f"{where}'{key}' must be text, not {_type_name(value)}")
    text = value.strip()
    if not text:
        raise DataFileError(path, f"{where}'{key}' is empty")
    if len(text) > limit:
        raise DataFileError(path, f"{where}'{key}' is {len(text)} characters long; the limit is {limit}")
    if one_line and "\n" in text:
        raise DataFileError(path, f"{where}'{key}' must fit on one line")
    return text


def _parse_deck(path: Path, data: dict[str, Any]) -> Deck:
    _check_keys(path, "", data, _DECK_KEYS_REQUIRED, _DECK_KEYS_OPTIONAL)
    deck_id = data["id"]
    if not isinstance(deck_id, str) or not _DECK_ID.fullmatch(deck_id):
        raise DataFileError(
            path,
            f"deck 'id' must be a slug of lower-case letters, digits and dashes, like 'check-in', not {deck_id!r}",
        )
    if deck_id != path.stem:
        raise DataFileError(path, f"deck id '{deck_id}' must match the file name ('{deck_id}.toml')")
    name = _text(path, "", "name", data["name"], MAX_DECK_NAME_LENGTH, one_line=True)
    description = _text(path, "", "description", data["description"], MAX_DECK_DESCRIPTION_LENGTH, one_line=True)
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DataFileError(path, f"deck 'version' must be a whole number of 1 or more, not {version!r}")
    requires_notes = data.get("deep_prompts_need_content_note", False)
    if not isinstance(requires_notes, bool):
        raise DataFileError(
            path, f"'deep_prompts_need_content_note' must be true or false, not {_type_name(requires_notes)}"
        )
    raw_prompts = data["prompts"]
    if not isinstance(raw_prompts, list) or not all(isinstance(p, dict) for p in raw_prompts):
        raise DataFileError(path, "'prompts' must be a list of [[prompts]] tables")
    if not raw_prompts:
        raise DataFileError(path, "the deck has no prompts")
    id_pattern = re.compile(rf"{re.escape(deck_id)}-\d{{3,}}")
    prompts = tuple(
        _parse_prompt(path, deck_id, id_pattern, requires_notes, n, p) for n, p in enumerate(raw_prompts, 1)
    )
    return Deck(
        id=deck_id,
        name=name,
        description=description,
        version=version,
        prompts=prompts,
        deep_prompts_need_content_note=requires_notes,
    )


def _parse_prompt(
    path: Path,
    deck_id: str,
    id_pattern: re.Pattern[str],
    requires_notes: bool,
    number: int,
    data: dict[str, Any],
) -> Prompt:
    raw_id = data.get("id")
    where = f"prompt '{raw_id}': " if isinstance(raw_id, str) and raw_id else f"prompt number {number}: "
    _check_keys(path, where, data, _PROMPT_KEYS_REQUIRED, _PROMPT_KEYS_OPTIONAL)
    if not isinstance(raw_id, str) or not id_pattern.fullmatch(raw_id):
        raise DataFileError(
            path,
            f"{where}id must be the deck id, a dash and a number of 3 or more digits, like '{deck_id}-007'",
        )
    text = _text(path, where, "text", data["text"], MAX_PROMPT_LENGTH)
    depth_value = data["depth"]
    if not isinstance(depth_value, str) or depth_value not in _DEPTH_ORDER:
        raise DataFileError(path, f"{where}depth must be one of {_DEPTH_WORDS}, not {depth_value!r}")
    depth = Depth(depth_value)
    note: str | None = None
    if "content_note" in data:
        note = _text(path, where, "content_note", data["content_note"], MAX_CONTENT_NOTE_LENGTH)
    if note is None and needs_content_note(text, depth, requires_notes):
        raise DataFileError(
            path, f"{where}deep prompts about grief, loss or trauma need a content_note to show before them"
        )
    return Prompt(id=raw_id, deck=deck_id, text=text, depth=depth, content_note=note)


def prompt_by_key(decks: Mapping[str, Deck], key: str) -> Prompt | None:
    """Find the shipped prompt with this key (its id), or None; the caller looks up server prompts."""
    for deck in decks.values():
        for prompt in deck.prompts:
            if prompt.key == key:
                return prompt
    return None


# --- selection -----------------------------------------------------------------------------------------


def candidates_for(deck: Deck, server_prompts: Iterable[Prompt], max_depth: Depth) -> list[Prompt]:
    """List the deck's prompts within `max_depth`, then the server's own for this deck (by their id)."""
    own = sorted(
        (p for p in server_prompts if p.deck == deck.id and p.depth <= max_depth),
        key=lambda p: (p.server_prompt_id is None, p.server_prompt_id or 0, p.id),
    )
    return [p for p in deck.prompts if p.depth <= max_depth] + own


def pick_prompt(
    candidates: Sequence[Prompt],
    used: frozenset[str],
    max_depth: Depth,
    rng: random.Random,
    exclude: str | None = None,
) -> tuple[Prompt, frozenset[str]]:
    """Choose uniformly among eligible prompts not yet used; return it and the new used set.

    Eligible means depth <= `max_depth`. `used` holds prompt keys and may hold keys of other decks or depths,
    which are kept. When every eligible prompt has been used, the eligible keys are dropped from `used` and a
    new cycle starts, so no prompt repeats before the deck is used up. `exclude` (the key of the prompt on
    screen) is never returned on a redraw unless it is the only eligible prompt. Candidates are ordered by
    key before drawing, so a seeded `rng` gives the same draw whatever order the caller passes them in.

    Raises `NoPromptAvailable` when no candidate is within `max_depth`.
    """
    eligible = sorted({p.key: p for p in candidates if p.depth <= max_depth}.values(), key=lambda p: p.key)
    if not eligible:
        raise NoPromptAvailable(f"no prompt of depth {max_depth} or lighter among {len(candidates)} candidates")
    fresh = [p for p in eligible if p.key not in used and p.key != exclude]
    if not fresh:
        # Start a new cycle; only the excluded prompt is held back, unless it is the only one there is.
        used = used - {p.key for p in eligible}
        fresh = [p for p in eligible if p.key != exclude] or eligible
    chosen = rng.choice(fresh)
    return chosen, used | {chosen.key}


# --- server prompts ------------------------------------------------------------------------------------


def validate_server_prompt(
    text: str,
    deck_id: str,
    depth: str | Depth,
    content_note: str | None,
    decks: Mapping[str, Deck],
) -> ServerPromptDraft:
    """Check a prompt an admin typed into the `/prompt add` modal; raise a `Refusal` (key `prompt.*`) if unfit.

    Text and note are trimmed; a blank note counts as none. A text the deck already has is refused.
    """
    clean = text.strip()
    if not clean:
        raise Refusal(
            "prompt.empty", "The prompt is empty. Please write the question or invitation you would like to add."
        )
    if len(clean) > MAX_PROMPT_LENGTH:
        raise Refusal(
            "prompt.too_long",
            f"That prompt is {len(clean)} characters long. Please keep it to {MAX_PROMPT_LENGTH} or fewer, "
            "so it reads easily at the start of a round.",
        )
    deck = decks.get(deck_id.strip().lower())
    if deck is None:
        names = ", ".join(sorted(decks)) or "none yet"
        raise Refusal("prompt.no_deck", f"There is no deck called '{deck_id.strip()}'. The decks are: {names}.")
    try:
        clean_depth = Depth(depth.strip().lower())
    except ValueError:
        raise Refusal("prompt.bad_depth", f"The depth can be {_DEPTH_WORDS}. Please choose one of those.") from None
    note = (content_note or "").strip() or None
    if note is not None and len(note) > MAX_CONTENT_NOTE_LENGTH:
        raise Refusal(
            "prompt.note_too_long",
            f"The content note is {len(note)} characters long. Please keep it to {MAX_CONTENT_NOTE_LENGTH} or fewer.",
        )
    if note is None and needs_content_note(clean, clean_depth, deck.deep_prompts_need_content_note):
        raise Refusal(
            "prompt.note_needed",
            "Deep prompts about grief, loss or trauma need a short content note, shown before the prompt, "
            "so people can choose to pass. Please add one.",
        )
    norm = normalise_text(clean)
    if any(normalise_text(p.text) == norm for p in deck.prompts):
        raise Refusal(
            "prompt.duplicate", f"The {deck.name} deck already has this prompt, so there is no need to add it."
        )
    return ServerPromptDraft(deck=deck.id, text=clean, depth=clean_depth, content_note=note)


# --- rounds --------------------------------------------------------------------------------------------


def default_decks_for_rounds(rounds: int, chosen: str | None) -> list[str]:
    """Return the deck that opens each round of a circle, in order.

    With `chosen` (a facilitator picked a deck), every round uses it. Otherwise the circle follows the usual
    shape of a peer-support meeting: round 1 is `check-in`; with two or more rounds the last is `closing`;
    rounds in between use `connection`. So 1 -> [check-in], 2 -> [check-in, closing],
    4 -> [check-in, connection, connection, closing].
    """
    if rounds < 1:
        raise ValueError(f"a circle has at least one round, not {rounds}")
    if chosen is not None:
        return [chosen] * rounds
    if rounds == 1:
        return [CHECK_IN_DECK]
    return [CHECK_IN_DECK, *([MIDDLE_ROUND_DECK] * (rounds - 2)), CLOSING_DECK]
