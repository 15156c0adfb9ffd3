"""Prompt deck validation, prompt selection, server prompts and the default deck for each round."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.datafiles import DataFileError
from bot.domain.prompts import (
    Deck,
    Depth,
    NoPromptAvailable,
    Prompt,
    ServerPromptDraft,
    candidates_for,
    default_decks_for_rounds,
    load_decks,
    normalise_text,
    pick_prompt,
    prompt_by_key,
    validate_server_prompt,
)
from bot.domain.refusal import Refusal

GOOD_HEADER = """\
id = "{deck}"
name = "Tiny deck"
description = "A deck for tests."
version = 1
"""


def prompt_block(pid: str, text: str, depth: str = "light", extra: str = "") -> str:
    return f'\n[[prompts]]\nid = "{pid}"\ndepth = "{depth}"\ntext = "{text}"\n{extra}'


def good_deck(deck: str = "tiny") -> str:
    return (
        GOOD_HEADER.format(deck=deck)
        + prompt_block(f"{deck}-001", f"What is on your mind in {deck} today?")
        + prompt_block(f"{deck}-002", f"What would you like to share about {deck}?", "medium")
    )


def make_prompt(n: int, depth: Depth = Depth.LIGHT, deck: str = "tiny") -> Prompt:
    return Prompt(id=f"{deck}-{n:03d}", deck=deck, text=f"Prompt {n} for you?", depth=depth)


def server_prompt(n: int, depth: Depth = Depth.LIGHT, deck: str = "tiny") -> Prompt:
    return ServerPromptDraft(deck=deck, text=f"Server prompt {n} for you?", depth=depth, content_note=None).to_prompt(n)


def make_deck(prompts: list[Prompt], deck: str = "tiny", notes: bool = False) -> Deck:
    return Deck(
        id=deck,
        name="Tiny deck",
        description="For tests.",
        version=1,
        prompts=tuple(prompts),
        deep_prompts_need_content_note=notes,
    )


# --- Depth -----------------------------------------------------------------------------------------------


def test_depth_is_ordered_by_weight_not_alphabet() -> None:
    assert Depth.LIGHT < Depth.MEDIUM < Depth.DEEP
    assert Depth.DEEP > Depth.LIGHT and Depth.MEDIUM >= Depth.MEDIUM and Depth.LIGHT <= Depth.DEEP
    assert sorted([Depth.DEEP, Depth.LIGHT, Depth.MEDIUM]) == [Depth.LIGHT, Depth.MEDIUM, Depth.DEEP]
    assert max(Depth) is Depth.DEEP
    assert Depth("medium") is Depth.MEDIUM and Depth.MEDIUM == "medium"


def test_prompt_keys_tell_shipped_and_server_prompts_apart() -> None:
    assert make_prompt(7).key == "tiny-007"
    own = server_prompt(12)
    assert own.key == "server:12" and own.server_prompt_id == 12 and own.deck == "tiny"


def test_normalise_text_ignores_case_punctuation_and_spacing() -> None:
    assert normalise_text("What's on your MIND,  today?") == normalise_text("whats on your mind today")
    assert normalise_text("a good-enough day") == normalise_text("A good enough day.")
    assert normalise_text("What is new?") != normalise_text("What is old?")


# --- load_decks: good files ------------------------------------------------------------------------------


def test_a_valid_deck_loads_with_every_field(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(
        GOOD_HEADER.format(deck="tiny")
        + "deep_prompts_need_content_note = true\n"
        + prompt_block("tiny-001", "  What is on your mind today?  ")
        + prompt_block("tiny-002", "What do you carry?", "deep", 'content_note = "  About heavy things.  "\n'),
        encoding="utf-8",
    )
    (tmp_path / "other.toml").write_text(good_deck("other"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a deck", encoding="utf-8")

    decks = load_decks(tmp_path)

    assert list(decks) == ["other", "tiny"]
    tiny = decks["tiny"]
    assert (tiny.id, tiny.name, tiny.description, tiny.version) == (
        "tiny",
        "Tiny deck",
        "A deck for tests.",
        1,
    )
    assert tiny.deep_prompts_need_content_note and not decks["other"].deep_prompts_need_content_note
    assert tiny.prompts == (
        Prompt("tiny-001", "tiny", "What is on your mind today?", Depth.LIGHT, None),
        Prompt("tiny-002", "tiny", "What do you carry?", Depth.DEEP, "About heavy things."),
    )
    assert prompt_by_key(decks, "other-002") == decks["other"].prompts[1]
    assert prompt_by_key(decks, "server:1") is None


# --- load_decks: every kind of malformed file is named -----------------------------------------------------

H = GOOD_HEADER.format(deck="tiny")
P1 = prompt_block("tiny-001", "What is on your mind today?")

BAD_FILES = {
    "invalid toml": ('id = "tiny\n', "not valid TOML"),
    "unknown top-level key": (H + 'colour = "blue"\n' + P1, "unknown key 'colour'"),
    "missing version": (H.replace("version = 1\n", "") + P1, "missing key 'version'"),
    "missing prompts": (H, "missing key 'prompts'"),
    "version as text": (H.replace("version = 1", 'version = "1"') + P1, "'version' must be a whole number"),
    "version as bool": (H.replace("version = 1", "version = true") + P1, "'version' must be a whole number"),
    "version zero": (H.replace("version = 1", "version = 0") + P1, "'version' must be a whole number"),
    "id not a slug": (H.replace('id = "tiny"', 'id = "Tiny Deck"') + P1, "must be a slug"),
    "id not the file name": (H.replace('id = "tiny"', 'id = "small"') + P1, "must match the file name"),
    "empty name": (H.replace('name = "Tiny deck"', 'name = "  "') + P1, "'name' is empty"),
    "name wrong type": (
        H.replace('name = "Tiny deck"', "name = 3") + P1,
        "'name' must be text, not a number",
    ),
    "description on two lines": (
        H.replace('description = "A deck for tests."', 'description = "one\\ntwo"') + P1,
        "'description' must fit on one line",
    ),
    "description too long": (
        H.replace('description = "A deck for tests."', f'description = "{"x" * 101}"') + P1,
        "'description' is 101 characters long; the limit is 100",
    ),
    "flag wrong type": (H + 'deep_prompts_need_content_note = "yes"\n' + P1, "must be true or false"),
    "prompts not tables": (H + 'prompts = ["What is new?"]\n', "must be a list of [[prompts]] tables"),
    "no prompts": (H + "prompts = []\n", "the deck has no prompts"),
    "prompt unknown key": (
        H + prompt_block("tiny-001", "What is new for you?", extra='mood = "sunny"\n'),
        "prompt 'tiny-001': unknown key 'mood'",
    ),
    "prompt missing text": (
        H + '[[prompts]]\nid = "tiny-001"\ndepth = "light"\n',
        "prompt 'tiny-001': missing key 'text'",
    ),
    "prompt missing id": (
        H + '[[prompts]]\ntext = "What is new?"\ndepth = "light"\n',
        "prompt number 1: missing key 'id'",
    ),
    "text wrong type": (
        H + '[[prompts]]\nid = "tiny-001"\ndepth = "light"\ntext = 42\n',
        "prompt 'tiny-001': 'text' must be text, not a number",
    ),
    "text empty": (H + prompt_block("tiny-001", "   "), "prompt 'tiny-001': 'text' is empty"),
    "text too long": (
        H + prompt_block("tiny-001", "y" * 301),
        "prompt 'tiny-001': 'text' is 301 characters long; the limit is 300",
    ),
    "bad depth": (
        H + prompt_block("tiny-007", "What is new for you?", "deeper"),
        "prompt 'tiny-007': depth must be one of light, medium, deep, not 'deeper'",
    ),
    "depth wrong type": (
        H + '[[prompts]]\nid = "tiny-001"\ndepth = 2\ntext = "What is new?"\n',
        "depth must be one of light, medium, deep, not 2",
    ),
    "id not prefixed by deck": (
        H + prompt_block("grief-001", "What is new for you?"),
        "prompt 'grief-001': id must be the deck id, a dash and a number",
    ),
    "id without number": (H + prompt_block("tiny-one", "What is new for you?"), "like 'tiny-007'"),
    "empty content note": (
        H + prompt_block("tiny-001", "What is new?", extra='content_note = " "\n'),
        "prompt 'tiny-001': 'content_note' is empty",
    ),
    "content note wrong type": (
        H + prompt_block("tiny-001", "What is new?", extra="content_note = false\n"),
        "'content_note' must be text, not true/false",
    ),
    "deep prompt in a notes deck without a note": (
        H + "deep_prompts_need_content_note = true\n" + prompt_block("tiny-001", "What do you carry?", "deep"),
        "prompt 'tiny-001': deep prompts about grief, loss or trauma need a content_note",
    ),
    "deep prompt about loss without a note": (
        H + prompt_block("tiny-001", "What have you lost this year?", "deep"),
        "need a content_note",
    ),
    "duplicate id in one file": (
        H + P1 + prompt_block("tiny-001", "What else is new?"),
        "prompt 'tiny-001': this id is used twice",
    ),
    "duplicate text ignoring case and punctuation": (
        H + P1 + prompt_block("tiny-002", "what is on your mind, today"),
        "prompt 'tiny-002': same text as prompt 'tiny-001'",
    ),
}


@pytest.mark.parametrize(("content", "expected"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_a_malformed_deck_is_refused_naming_the_file_and_problem(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(DataFileError) as caught:
        load_decks(tmp_path)

    assert caught.value.path == str(path)
    assert expected in caught.value.problem
    assert "tiny.toml" in str(caught.value)


def test_a_deep_prompt_about_loss_with_a_note_is_accepted(tmp_path: Path) -> None:
    extra = 'content_note = "This prompt is about loss."\n'
    (tmp_path / "tiny.toml").write_text(H + prompt_block("tiny-001", "What have you lost?", "deep", extra))
    assert load_decks(tmp_path)["tiny"].prompts[0].content_note == "This prompt is about loss."


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_bytes(H.encode() + b'\n[[prompts]]\nid = "tiny-001"\ndepth = "light"\ntext = "caf\xe9?"\n')
    with pytest.raises(DataFileError, match="not UTF-8") as caught:
        load_decks(tmp_path)
    assert caught.value.path == str(path)


def test_an_id_used_in_two_files_names_the_second_file_and_the_first(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(
        GOOD_HEADER.format(deck="a") + prompt_block("a-001", "What is new for you?"), encoding="utf-8"
    )
    # Same text in another deck: a different prompt id, but the same prompt.
    (tmp_path / "b.toml").write_text(
        GOOD_HEADER.format(deck="b") + prompt_block("b-001", "What is NEW for you"), encoding="utf-8"
    )
    with pytest.raises(DataFileError) as caught:
        load_decks(tmp_path)
    assert caught.value.path == str(tmp_path / "b.toml")
    assert caught.value.problem == (
        "prompt 'b-001': same text as prompt 'a-001' (also in a.toml) (ignoring case and punctuation)"
    )


@pytest.mark.parametrize("make_dir", [True, False])
def test_a_folder_without_decks_is_an_error(tmp_path: Path, make_dir: bool) -> None:
    folder = tmp_path / "prompts"
    if make_dir:
        folder.mkdir()
    with pytest.raises(DataFileError, match=r"no prompt deck files") as caught:
        load_decks(folder)
    assert caught.value.path == str(folder)


# --- selection ---------------------------------------------------------------------------------------------


def draw(
    candidates: list[Prompt], times: int, seed: int, max_depth: Depth = Depth.DEEP, redraw: bool = False
) -> list[str]:
    rng = random.Random(seed)
    used: frozenset[str] = frozenset()
    keys: list[str] = []
    for _ in range(times):
        prompt, used = pick_prompt(candidates, used, max_depth, rng, exclude=keys[-1] if redraw and keys else None)
        keys.append(prompt.key)
    return keys


@settings(max_examples=150, deadline=None)
@given(
    depths=st.lists(st.sampled_from(list(Depth)), min_size=1, max_size=15),
    server_count=st.integers(min_value=0, max_value=4),
    cycles=st.integers(min_value=1, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32),
    redraw=st.booleans(),
)
def test_no_prompt_repeats_before_the_deck_is_used_up(
    depths: list[Depth], server_count: int, cycles: int, seed: int, redraw: bool
) -> None:
    candidates = [make_prompt(n, d) for n, d in enumerate(depths, 1)]
    candidates += [server_prompt(n) for n in range(1, server_count + 1)]
    size = len(candidates)

    keys = draw(candidates, size * cycles, seed, redraw=redraw)

    # Every block of `size` consecutive draws from the start is one full pass over the deck.
    for start in range(0, len(keys), size):
        assert sorted(keys[start : start + size]) == sorted(p.key for p in candidates)
    if redraw and size > 1:
        assert all(a != b for a, b in itertools.pairwise(keys))


@settings(max_examples=100, deadline=None)
@given(
    depths=st.lists(st.sampled_from(list(Depth)), min_size=1, max_size=15),
    max_depth=st.sampled_from(list(Depth)),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_the_depth_limit_is_respected(depths: list[Depth], max_depth: Depth, seed: int) -> None:
    candidates = [make_prompt(n, d) for n, d in enumerate(depths, 1)]
    eligible = [p for p in candidates if p.depth <= max_depth]
    if not eligible:
        with pytest.raises(NoPromptAvailable):
            pick_prompt(candidates, frozenset(), max_depth, random.Random(seed))
        return
    keys = draw(candidates, 2 * len(eligible), seed, max_depth)
    assert Counter(keys) == {p.key: 2 for p in eligible}


def test_starting_over_keeps_keys_of_other_decks_and_deeper_prompts() -> None:
    candidates = [make_prompt(1), make_prompt(2), make_prompt(3, Depth.DEEP)]
    used = frozenset({"tiny-001", "tiny-002", "tiny-003", "grief-004"})

    prompt, new_used = pick_prompt(candidates, used, Depth.LIGHT, random.Random(1))

    assert prompt.key in {"tiny-001", "tiny-002"}
    assert new_used == {"tiny-003", "grief-004", prompt.key}


def test_server_prompts_are_mixed_into_their_own_deck_only() -> None:
    deck = make_deck([make_prompt(1), make_prompt(2, Depth.MEDIUM), make_prompt(3, Depth.DEEP)])
    own = [server_prompt(9), server_prompt(4, Depth.DEEP), server_prompt(5, deck="grief"), server_prompt(2)]

    light = candidates_for(deck, own, Depth.LIGHT)
    every = candidates_for(deck, own, Depth.DEEP)

    assert [p.key for p in light] == ["tiny-001", "server:2", "server:9"]
    assert [p.key for p in every] == ["tiny-001", "tiny-002", "tiny-003", "server:2", "server:4", "server:9"]
    assert set(draw(every, len(every), seed=3)) == {p.key for p in every}


def test_exclude_avoids_the_prompt_on_screen() -> None:
    a, b = make_prompt(1), make_prompt(2)
    for seed in range(50):
        rng = random.Random(seed)
        assert pick_prompt([a, b], frozenset(), Depth.DEEP, rng, exclude=a.key)[0] is b
        # Both used: a new cycle starts, still without the prompt on screen.
        prompt, used = pick_prompt([a, b], frozenset({a.key, b.key}), Depth.DEEP, rng, exclude=b.key)
        assert prompt is a and used == {a.key}


def test_exclude_gives_way_when_there_is_no_other_prompt() -> None:
    only = make_prompt(1)
    prompt, used = pick_prompt([only], frozenset({only.key}), Depth.DEEP, random.Random(0), exclude=only.key)
    assert prompt is only and used == {only.key}


def test_selection_is_deterministic_under_a_seed_whatever_the_candidate_order() -> None:
    candidates = [make_prompt(n) for n in range(1, 21)] + [server_prompt(1)]
    first = draw(candidates, 40, seed=2024)
    assert first == draw(candidates, 40, seed=2024)
    assert first == draw(list(reversed(candidates)), 40, seed=2024)
    assert first != draw(candidates, 40, seed=2025)


def test_duplicate_candidates_count_once() -> None:
    a, b = make_prompt(1), make_prompt(2)
    assert sorted(draw([a, a, a, b], 2, seed=5)) == [a.key, b.key]


def test_nothing_eligible_is_an_explicit_error() -> None:
    with pytest.raises(NoPromptAvailable):
        pick_prompt([], frozenset(), Depth.DEEP, random.Random(0))
    with pytest.raises(NoPromptAvailable):
        pick_prompt([make_prompt(1, Depth.DEEP)], frozenset(), Depth.MEDIUM, random.Random(0))


# --- server prompts ----------------------------------------------------------------------------------------

DECKS = {
    "tiny": make_deck([make_prompt(1)]),
    "grief": make_deck([make_prompt(1, deck="grief")], deck="grief", notes=True),
}


def test_a_good_server_prompt_is_cleaned_up() -> None:
    draft = validate_server_prompt("  What made you smile?  ", " Tiny ", " Medium ", "   ", DECKS)
    assert draft == ServerPromptDraft(deck="tiny", text="What made you smile?", depth=Depth.MEDIUM, content_note=None)
    prompt = draft.to_prompt(31)
    assert (prompt.key, prompt.deck, prompt.depth, prompt.server_prompt_id) == (
        "server:31",
        "tiny",
        Depth.MEDIUM,
        31,
    )


def test_a_deep_grief_server_prompt_with_a_note_is_accepted() -> None:
    draft = validate_server_prompt("What do you carry?", "grief", Depth.DEEP, " About grief. ", DECKS)
    assert draft.content_note == "About grief." and draft.depth is Depth.DEEP


@pytest.mark.parametrize(
    ("text", "deck", "depth", "note", "expected"),
    [
        ("", "tiny", "light", None, "The prompt is empty"),
        ("   \n ", "tiny", "light", None, "The prompt is empty"),
        ("x" * 301, "tiny", "light", None, "301 characters long. Please keep it to 300 or fewer"),
        (
            "What is new?",
            "sports",
            "light",
            None,
            "There is no deck called 'sports'. The decks are: grief, tiny.",
        ),
        ("What is new?", "tiny", "deeper", None, "The depth can be light, medium, deep"),
        ("What is new?", "tiny", "light", "n" * 201, "content note is 201 characters long"),
        ("What do you carry?", "grief", "deep", None, "need a short content note"),
        ("What have you lost?", "tiny", "deep", " ", "need a short content note"),
        ("prompt 1, for YOU", "tiny", "light", None, "already has this prompt"),
    ],
)
def test_a_bad_server_prompt_gets_a_kind_plain_reason(
    text: str, deck: str, depth: str, note: str | None, expected: str
) -> None:
    with pytest.raises(Refusal) as caught:
        validate_server_prompt(text, deck, depth, note, DECKS)
    assert expected in caught.value.message
    assert str(caught.value) == caught.value.message


# --- rounds ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [
        (1, ["check-in"]),
        (2, ["check-in", "closing"]),
        (3, ["check-in", "connection", "closing"]),
        (5, ["check-in", "connection", "connection", "connection", "closing"]),
    ],
)
def test_default_decks_follow_check_in_sharing_check_out(rounds: int, expected: list[str]) -> None:
    assert default_decks_for_rounds(rounds, None) == expected


def test_a_chosen_deck_opens_every_round() -> None:
    assert default_decks_for_rounds(3, "grief") == ["grief", "grief", "grief"]


def test_a_circle_needs_at_least_one_round() -> None:
    with pytest.raises(ValueError, match="at least one round"):
        default_decks_for_rounds(0, None)
