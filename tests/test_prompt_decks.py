"""The shipped prompt decks in prompts/: schema, stable ids, tone and depth mix."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.domain.prompts import (
    MAX_PROMPT_LENGTH,
    Deck,
    Depth,
    default_decks_for_rounds,
    load_decks,
    needs_content_note,
    normalise_text,
)

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
REQUIRED_DECKS = {
    "check-in",
    "closing",
    "gratitude",
    "grief",
    "anxiety",
    "connection",
    "growth",
    "self-compassion",
}
MIN_PROMPTS = 25
MIN_LIGHT = 8
# Words a peer-support prompt should not use: clinical labels and anything that edges toward harm.
UNWELCOME_WORDS = re.compile(
    r"\b(?:why|symptoms?|diagnos\w*|disorders?|medication|overdose|kill\w*|suicid\w*|self-harm"
    r"|weapons?|pills?|cutting|worthless|should)\b",
    re.IGNORECASE,
)

# The ids every shipped deck had when this snapshot was taken. Circles store prompt ids (used sets, the
# prompt on screen), so an id may never be renumbered, reused or removed: new prompts get new ids, added here.
# fmt: off
PINNED_IDS: dict[str, tuple[str, ...]] = {
    "anxiety": (
        "anxiety-001", "anxiety-002", "anxiety-003", "anxiety-004", "anxiety-005",
        "anxiety-006", "anxiety-007", "anxiety-008", "anxiety-009", "anxiety-010",
        "anxiety-011", "anxiety-012", "anxiety-013", "anxiety-014", "anxiety-015",
        "anxiety-016", "anxiety-017", "anxiety-018", "anxiety-019", "anxiety-020",
        "anxiety-021", "anxiety-022", "anxiety-023", "anxiety-024", "anxiety-025",
        "anxiety-026", "anxiety-027", "anxiety-028", "anxiety-029", "anxiety-030",
    ),
    "check-in": (
        "check-in-001", "check-in-002", "check-in-003", "check-in-004", "check-in-005",
        "check-in-006", "check-in-007", "check-in-008", "check-in-009", "check-in-010",
        "check-in-011", "check-in-012", "check-in-013", "check-in-014", "check-in-015",
        "check-in-016", "check-in-017", "check-in-018", "check-in-019", "check-in-020",
        "check-in-021", "check-in-022", "check-in-023", "check-in-024", "check-in-025",
        "check-in-026", "check-in-027", "check-in-028", "check-in-029", "check-in-030",
    ),
    "closing": (
        "closing-001", "closing-002", "closing-003", "closing-004", "closing-005",
        "closing-006", "closing-007", "closing-008", "closing-009", "closing-010",
        "closing-011", "closing-012", "closing-013", "closing-014", "closing-015",
        "closing-016", "closing-017", "closing-018", "closing-019", "closing-020",
        "closing-021", "closing-022", "closing-023", "closing-024", "closing-025",
        "closing-026", "closing-027", "closing-028", "closing-029", "closing-030",
    ),
    "connection": (
        "connection-001", "connection-002", "connection-003", "connection-004", "connection-005",
        "connection-006", "connection-007", "connection-008", "connection-009", "connection-010",
        "connection-011", "connection-012", "connection-013", "connection-014", "connection-015",
        "connection-016", "connection-017", "connection-018", "connection-019", "connection-020",
        "connection-021", "connection-022", "connection-023", "connection-024", "connection-025",
        "connection-026", "connection-027", "connection-028", "connection-029", "connection-030",
    ),
    "gratitude": (
        "gratitude-001", "gratitude-002", "gratitude-003", "gratitude-004", "gratitude-005",
        "gratitude-006", "gratitude-007", "gratitude-008", "gratitude-009", "gratitude-010",
        "gratitude-011", "gratitude-012", "gratitude-013", "gratitude-014", "gratitude-015",
        "gratitude-016", "gratitude-017", "gratitude-018", "gratitude-019", "gratitude-020",
        "gratitude-021", "gratitude-022", "gratitude-023", "gratitude-024", "gratitude-025",
        "gratitude-026", "gratitude-027", "gratitude-028", "gratitude-029", "gratitude-030",
    ),
    "grief": (
        "grief-001", "grief-002", "grief-003", "grief-004", "grief-005",
        "grief-006", "grief-007", "grief-008", "grief-009", "grief-010",
        "grief-011", "grief-012", "grief-013", "grief-014", "grief-015",
        "grief-016", "grief-017", "grief-018", "grief-019", "grief-020",
        "grief-021", "grief-022", "grief-023", "grief-024", "grief-025",
        "grief-026", "grief-027", "grief-028", "grief-029", "grief-030",
    ),
    "growth": (
        "growth-001", "growth-002", "growth-003", "growth-004", "growth-005",
        "growth-006", "growth-007", "growth-008", "growth-009", "growth-010",
        "growth-011", "growth-012", "growth-013", "growth-014", "growth-015",
        "growth-016", "growth-017", "growth-018", "growth-019", "growth-020",
        "growth-021", "growth-022", "growth-023", "growth-024", "growth-025",
        "growth-026", "growth-027", "growth-028", "growth-029", "growth-030",
    ),
    "self-compassion": (
        "self-compassion-001", "self-compassion-002", "self-compassion-003",
        "self-compassion-004", "self-compassion-005",
        "self-compassion-006", "self-compassion-007", "self-compassion-008",
        "self-compassion-009", "self-compassion-010",
        "self-compassion-011", "self-compassion-012", "self-compassion-013",
        "self-compassion-014", "self-compassion-015",
        "self-compassion-016", "self-compassion-017", "self-compassion-018",
        "self-compassion-019", "self-compassion-020",
        "self-compassion-021", "self-compassion-022", "self-compassion-023",
        "self-compassion-024", "self-compassion-025",
        "self-compassion-026", "self-compassion-027", "self-compassion-028",
        "self-compassion-029", "self-compassion-030",
    ),
}
# fmt: on


@pytest.fixture(scope="module")
def decks() -> dict[str, Deck]:
    return load_decks(PROMPTS_DIR)


def test_every_required_deck_is_shipped(decks: dict[str, Deck]) -> None:
    assert set(decks) >= REQUIRED_DECKS


@pytest.mark.parametrize("path", sorted(PROMPTS_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_each_deck_file_passes_the_schema_on_its_own(path: Path, tmp_path: Path) -> None:
    shutil.copy(path, tmp_path / path.name)
    loaded = load_decks(tmp_path)
    assert list(loaded) == [path.stem]
    deck = loaded[path.stem]
    assert deck.name and deck.description and deck.version >= 1


def test_pinned_ids_are_never_renumbered_or_removed(decks: dict[str, Deck]) -> None:
    assert set(PINNED_IDS) <= set(decks), "a deck was removed or renamed"
    for deck_id, pinned in PINNED_IDS.items():
        ids = [p.id for p in decks[deck_id].prompts]
        # New prompts go after the pinned ones, so the pinned ids stay a prefix in their original order.
        assert tuple(ids[: len(pinned)]) == pinned, f"ids in {deck_id}.toml were renumbered, reordered or removed"


def test_ids_are_unique_and_numbered_upwards_within_each_deck(decks: dict[str, Deck]) -> None:
    all_ids = [p.id for deck in decks.values() for p in deck.prompts]
    assert len(all_ids) == len(set(all_ids))
    for deck in decks.values():
        numbers = [int(p.id.removeprefix(f"{deck.id}-")) for p in deck.prompts]
        assert numbers == sorted(numbers), f"{deck.id}: add new prompts at the end with the next number"


def test_no_two_prompts_are_the_same_ignoring_case_and_punctuation(decks: dict[str, Deck]) -> None:
    seen: dict[str, str] = {}
    for deck in decks.values():
        for prompt in deck.prompts:
            norm = normalise_text(prompt.text)
            assert norm not in seen, f"{prompt.id} repeats {seen.get(norm)}"
            seen[norm] = prompt.id


@pytest.mark.parametrize("deck_id", sorted(REQUIRED_DECKS))
def test_each_deck_is_big_enough_and_starts_light(decks: dict[str, Deck], deck_id: str) -> None:
    prompts = decks[deck_id].prompts
    depths = [p.depth for p in prompts]
    assert len(prompts) >= MIN_PROMPTS
    assert depths.count(Depth.LIGHT) >= MIN_LIGHT
    assert {Depth.LIGHT, Depth.MEDIUM, Depth.DEEP} <= set(depths), "each deck mixes all three depths"


def test_texts_fit_and_read_as_open_invitations(decks: dict[str, Deck]) -> None:
    for deck in decks.values():
        for prompt in deck.prompts:
            text = prompt.text
            assert prompt.deck == deck.id
            assert 0 < len(text) <= MAX_PROMPT_LENGTH, prompt.id
            assert text == text.strip() and "\n" not in text, prompt.id
            assert re.search(r"\byou(?:r|rs|rself)?\b", text, re.IGNORECASE), f"{prompt.id} is not addressed to you"
            assert text.endswith(("?", ".")), prompt.id
            assert not UNWELCOME_WORDS.search(text), f"{prompt.id}: {UNWELCOME_WORDS.search(text)}"


def test_deep_prompts_about_loss_carry_a_content_note(decks: dict[str, Deck]) -> None:
    assert decks["grief"].deep_prompts_need_content_note
    for prompt in decks["grief"].prompts:
        if prompt.depth is Depth.DEEP:
            assert prompt.content_note, f"{prompt.id} needs a content note"
    for deck in decks.values():
        for prompt in deck.prompts:
            if needs_content_note(prompt.text, prompt.depth, deck.deep_prompts_need_content_note):
                assert prompt.content_note, prompt.id
            if prompt.content_note is not None:
                assert prompt.content_note.strip() == prompt.content_note != ""


def test_the_default_round_decks_are_all_shipped(decks: dict[str, Deck]) -> None:
    for rounds in range(1, 6):
        assert set(default_decks_for_rounds(rounds, None)) <= set(decks)
