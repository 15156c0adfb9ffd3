"""Guideline rules: folding, phrase and pattern filters, the warning ladder, who may warn whom, AutoMod plan."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import guidelines
from bot.domain.guidelines import (
    DEFAULT_LADDER,
    DEFAULT_RULES,
    FilterAction,
    FilterHit,
    FilterInputError,
    FilterKind,
    FilterRule,
    FilterScope,
    FilterSet,
    LadderAction,
    LadderError,
    LadderRung,
    WarningRecord,
    active_points,
    can_warn,
    compile_pattern,
    normalize,
    rung_for,
    validate_ladder,
    validate_phrase,
)
from bot.domain.guidelines.filters import _build_sets
from bot.domain.guidelines.folding import _normalize_plainly

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def phrase(rule_id: int, text: str, *, scope: FilterScope = FilterScope.SERVER) -> FilterRule:
    return FilterRule(rule_id, FilterKind.PHRASE, text, FilterAction.DELETE, scope)


def pattern(rule_id: int, text: str, *, scope: FilterScope = FilterScope.SERVER) -> FilterRule:
    return FilterRule(rule_id, FilterKind.PATTERN, text, FilterAction.WARN, scope)


def rule_ids(filters: FilterSet, text: str, *, in_circle_channel: bool = True) -> list[int]:
    return [hit.rule_id for hit in filters.match(text, in_circle_channel=in_circle_channel)]


# --- the group's agreements ------------------------------------------------------------------------------


def test_default_rules_cover_the_peer_support_agreements() -> None:
    text = " ".join(DEFAULT_RULES).casefold()
    for idea in (
        "stays here",
        "own experience",
        "without fixing",
        "advice",
        "cross-talk",
        "okay to pass",
        "judgement",
        "take care of yourself",
        "step out",
    ):
        assert idea in text, idea
    assert len(DEFAULT_RULES) == 7


def test_default_rules_are_short_whole_sentences() -> None:
    for rule in DEFAULT_RULES:
        assert rule[0].isupper() and rule.endswith(".")
        assert len(rule) <= 120


# --- folding -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Hello THERE", "hello there"),
        ("ÁSSHOLÉ", "asshole"),
        ("naïve café", "naive cafe"),
        ("аss", "ass"),  # Cyrillic а
        ("АSS", "ass"),  # Cyrillic capital А
        ("ѕһіt", "shit"),  # Cyrillic ѕ һ і
        ("ορεν", "opev"),  # Greek look-alikes fold, ν to v
        ("ΤΟΚΙ", "toki"),  # Greek capitals fold like their lowercase
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("𝐛𝐨𝐥𝐝", "bold"),
        ("ᴀss", "ass"),  # small capital
        ("a\u200bss", "ass"),  # zero-width space inside a word
        ("straße", "strasse"),
        ("4ss", "ass"),
        ("@ss", "ass"),
        ("a$$", "ass"),
        ("h3ll0 w0rld", "hello world"),
        ("5h1t", "shit"),
        ("sh!t", "shit"),
        ("he||o", "hello"),
        ("wow!!!", "wow"),
        ("!!!", ""),
        ("I'm 25, it's 2024", "i m 25 it s 2024"),
        ("call 555-1234", "call 555 1234"),
        ("see you at 3pm on the 2nd", "see you at 3pm on the 2nd"),
        ("the 90s", "the 90s"),
        ("$5 for coffee", "5 for coffee"),
        ("don't   stop...believing", "don t stop believing"),
        ("  spaced\t\nout  ", "spaced out"),
        ("😂🙏 lol 💙", "lol"),
        ("", ""),
        ("日本語 ok", "日本語 ok"),
        ("привет мир", "npиbet mиp"),  # look-alikes fold inside any word, consistently on both sides
    ],
)
def test_normalize(raw: str, folded: str) -> None:
    assert normalize(raw) == folded


# Text drawn from everything folding cares about: ASCII, leet symbols, digits, accents, look-alikes,
# invisible characters, emoji, other scripts and whitespace.
FOLDING_ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzASZ0123456789@$!|.,'-_*?#  \t\n")
    + list("áéíóúñüçÁÉßæøłı\u0301\u0308\u200b\u00ad")
    + list("аеорсухіјѕАВЕКМНОРСТХбжиπσΑΒΟΝηνμ")
    + list("ＡＢｃ１２！𝐀ⓐᴀ²½😂💙🙏‍日本語한국어हिन्दी٣")
)
FOLDING_TEXT = st.lists(FOLDING_ALPHABET, max_size=60).map("".join)


@given(st.one_of(FOLDING_TEXT, st.text(max_size=40)))
@settings(max_examples=500, deadline=None)
def test_fast_folding_equals_the_plain_one(text: str) -> None:
    assert normalize(text) == _normalize_plainly(text)


@given(st.one_of(FOLDING_TEXT, st.text(max_size=40)))
@settings(max_examples=300, deadline=None)
def test_folded_text_is_words_separated_by_single_spaces(text: str) -> None:
    folded = normalize(text)
    assert folded == " ".join(folded.split(" ")) and "  " not in folded
    assert folded == folded.strip()
    assert not any(char.isspace() and char != " " for char in folded)
    assert not any(char.isascii() and not (char.isalnum() or char == " ") for char in folded)


@given(FOLDING_TEXT)
@settings(max_examples=300, deadline=None)
def test_folding_is_case_insensitive(text: str) -> None:
    assert normalize(text.upper()) == normalize(text.lower()) == normalize(text)


@given(FOLDING_TEXT)
@settings(max_examples=300, deadline=None)
def test_folding_twice_changes_nothing(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


# --- phrase filters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "you asshole",
        "You ASSHOLE",
        "what an ássholé",  # accents
        "аsshole",  # Cyrillic а
        "4sshole",
        "@sshole!",
        "a$$hole",
        "ASS-HOLE".replace("-", ""),
    ],
)
def test_phrase_catches_case_accent_look_alike_and_leetspeak_variants(message: str) -> None:
    filters = FilterSet.build([phrase(1, "asshole")])
    assert rule_ids(filters, message) == [1]


@pytest.mark.parametrize("message", ["ass", "ASS!", "4ss", "@ss", "аss", "àss", "kiss my a$$ please"])
def test_short_phrase_catches_variants(message: str) -> None:
    filters = FilterSet.build([phrase(1, "ass")])
    assert rule_ids(filters, message) == [1]


@pytest.mark.parametrize(
    "message", ["class", "assist", "passing notes", "bass guitar", "massive", "ambassador", "assess"]
)
def test_phrase_never_fires_inside_a_longer_word(message: str) -> None:
    filters = FilterSet.build([phrase(1, "ass")])
    assert rule_ids(filters, message) == []


def test_multi_word_phrase_matches_across_punctuation_and_spacing_only_as_whole_words() -> None:
    filters = FilterSet.build([phrase(1, "shut up")])
    assert rule_ids(filters, "just SHUT... up!") == [1]
    assert rule_ids(filters, "shut   up") == [1]
    assert rule_ids(filters, "shut upstairs") == []
    assert rule_ids(filters, "rebut up") == []


def test_phrase_at_the_start_and_end_of_a_message() -> None:
    filters = FilterSet.build([phrase(1, "idiot")])
    assert rule_ids(filters, "idiot") == [1]
    assert rule_ids(filters, "idiot, you") == [1]
    assert rule_ids(filters, "you idiot") == [1]


def test_many_phrases_report_each_rule_once_in_rule_id_order() -> None:
    filters = FilterSet.build([phrase(7, "jerk"), phrase(3, "idiot"), phrase(5, "IDIOT"), phrase(9, "unused")])
    hits = filters.match("idiot idiot jerk", in_circle_channel=False)
    assert hits == (
        FilterHit(3, FilterAction.DELETE, FilterKind.PHRASE),
        FilterHit(5, FilterAction.DELETE, FilterKind.PHRASE),
        FilterHit(7, FilterAction.DELETE, FilterKind.PHRASE),
    )


def test_scope_circles_applies_only_in_circle_channels_and_server_everywhere() -> None:
    filters = FilterSet.build(
        [phrase(1, "advice", scope=FilterScope.CIRCLES), phrase(2, "spam", scope=FilterScope.SERVER)]
    )
    assert rule_ids(filters, "advice and spam", in_circle_channel=True) == [1, 2]
    assert rule_ids(filters, "advice and spam", in_circle_channel=False) == [2]


def test_only_circle_rules_means_nothing_is_checked_elsewhere() -> None:
    filters = FilterSet.build([phrase(1, "advice", scope=FilterScope.CIRCLES)])
    assert rule_ids(filters, "advice", in_circle_channel=False) == []
    assert rule_ids(filters, "advice", in_circle_channel=True) == [1]


def test_no_rules_match_nothing() -> None:
    filters = FilterSet.build([])
    assert filters.empty
    assert filters.match("anything at all", in_circle_channel=True) == ()
    assert not FilterSet.build([phrase(1, "x")]).empty


def test_lone_surrogates_from_a_payload_do_not_break_matching() -> None:
    filters = FilterSet.build([phrase(1, "jerk"), pattern(2, "jerk")])
    assert normalize("\ud800jerk\udfff") == "jerk"
    assert rule_ids(filters, "you \ud83d jerk") == [1, 2]


def test_rules_read_back_as_plain_strings_work_like_enums() -> None:
    stored = [
        FilterRule(1, "phrase", "jerk", "warn", "server"),  # type: ignore[arg-type]
        FilterRule(2, "pattern", "j.rk", "alert", "circles"),  # type: ignore[arg-type]
        FilterRule(3, "regex", "x", "warn", "server"),  # type: ignore[arg-type]
    ]
    filters = FilterSet.build(stored)
    assert filters.match("jerk", in_circle_channel=True) == (
        FilterHit(1, FilterAction.WARN, FilterKind.PHRASE),
        FilterHit(2, FilterAction.ALERT, FilterKind.PATTERN),
    )
    assert [rule_id for rule_id, _reason in filters.skipped] == [3]
    ladder = validate_ladder([LadderRung(2, "alert_admins", None)])  # type: ignore[arg-type]
    assert ladder[0].action is LadderAction.ALERT_ADMINS
    with pytest.raises(LadderError, match="doesn't know"):
        validate_ladder([LadderRung(2, "ban", None)])  # type: ignore[arg-type]


def test_message_with_nothing_to_read_matches_nothing() -> None:
    filters = FilterSet.build([phrase(1, "x"), pattern(2, "x")])
    assert filters.match("😂 !!! ...", in_circle_channel=True) == ()


WORDS = st.text(alphabet="abcs", min_size=1, max_size=4)


@given(
    st.lists(st.lists(WORDS, min_size=1, max_size=2).map(" ".join), min_size=1, max_size=6),
    st.lists(WORDS, max_size=12).map(" ".join),
)
@settings(max_examples=300, deadline=None)
def test_phrase_matching_agrees_with_a_plain_whole_word_search(phrases: list[str], message: str) -> None:
    filters = FilterSet.build([phrase(index, text) for index, text in enumerate(phrases)])
    expected = [index for index, text in enumerate(phrases) if f" {text} " in f" {message} "]
    assert rule_ids(filters, message) == expected


# --- pattern filters ---------------------------------------------------------------------------------------


def test_pattern_sees_folded_text_and_ignores_case() -> None:
    filters = FilterSet.build([pattern(1, r"\bfree NITRO\b")])
    assert rule_ids(filters, "FREE-nitro!!! click") == [1]
    assert rule_ids(filters, "Frее nitrо") == [1]  # Cyrillic е and о
    assert rule_ids(filters, "freenitro") == []


def test_patterns_and_phrases_together() -> None:
    filters = FilterSet.build(
        [phrase(1, "jerk"), pattern(2, r"\d{3} \d{4}"), pattern(3, r"^hello"), pattern(4, r"never")]
    )
    assert rule_ids(filters, "Hello jerk, call 555-1234") == [1, 2, 3]


def test_catastrophic_backtracking_pattern_runs_in_linear_time() -> None:
    # (a+)+$ takes exponential time in a backtracking engine on "aaa...a!"; RE2 never backtracks.
    compiled = compile_pattern(r"(a+)+$")
    bait = "a" * 100_000 + "!"
    assert compiled.search(bait) is None
    filters = FilterSet.build([pattern(1, r"(a+)+$"), pattern(2, r"(x+x+)+y")])
    # Folding drops the trailing "!", so the folded text is all a's and the first pattern matches.
    assert rule_ids(filters, bait) == [1]
    assert rule_ids(filters, "x" * 100_000) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (r"(a)\1", "Backreferences"),
        (r"(?=a)b", "Lookaheads"),
        (r"a(?!b)", "Lookaheads"),
        (r"(?<=a)b", "Lookbehinds"),
        (r"(?<!a)b", "Lookbehinds"),
        (r"a++", "Possessive"),
        (r"a{1001}", "up to 1000"),
        (r"x{5,2}", "smaller number first"),
        (r"*a", "nothing before it"),
        (r"\p{Foo}", "character class"),
        (r"[abc", "never closed"),
        (r"(abc", "never closed"),
        (r"abc)", "without a ("),
        ("abc\\", "lone backslash"),
        (r"[z-a]", "backwards"),
        (r"\Z", "escape"),
        (r"a*", "empty message"),
        (r"x|", "empty message"),
        ("   ", "empty"),
        ("a" * 501, "at most 500"),
        (r"\pL{10}", "too complex"),
        (r"\pL{1000}", "too large"),
    ],
)
def test_compile_pattern_refuses_with_a_plain_reason(text: str, reason: str) -> None:
    with pytest.raises(FilterInputError) as refused:
        compile_pattern(text)
    assert reason in refused.value.message
    assert "b'" not in refused.value.message and "re2" not in refused.value.message.lower()


def test_compile_pattern_accepts_a_500_character_pattern() -> None:
    assert compile_pattern("a" * 500).search("a" * 500) is not None


def test_re2_raises_instead_of_falling_back_to_a_backtracking_engine() -> None:
    with pytest.raises(re2.error):
        re2.compile(r"(a)\1")
    with pytest.raises(re2.error):
        re2.compile(r"(?<=a)b")
    compiled = compile_pattern(r"ab+c")
    assert type(compiled).__module__ == "re2"
    assert type(compiled) is type(re2.compile("x"))


def test_guidelines_never_import_a_backtracking_regex_engine() -> None:
    package = Path(guidelines.__file__).parent
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
        assert not imported & {"re", "regex", "sre_compile"}, source.name
        assert "discord" not in imported, source.name


def test_build_leaves_out_rules_that_no_longer_validate_and_says_why() -> None:
    filters = FilterSet.build([phrase(1, "ok"), phrase(2, "!!!"), pattern(3, r"(a)\1"), pattern(4, "x+")])
    assert [rule_id for rule_id, _reason in filters.skipped] == [2, 3]
    assert all(reason for _rule_id, reason in filters.skipped)
    assert rule_ids(filters, "ok xx") == [1, 4]


def test_a_set_too_big_to_compile_is_split_until_each_part_compiles() -> None:
    # Thirty patterns of about 5,000 RE2 instructions each are more than one set's memory budget.
    hits = [FilterHit(index, FilterAction.WARN, FilterKind.PATTERN) for index in range(30)]
    big = [(rf"[a-z]{{{800 + index}}}{index}x", hit) for index, hit in enumerate(hits)]
    skipped: list[tuple[int, str]] = []
    sets = _build_sets(big, skipped)
    assert len(sets) > 1
    assert skipped == []
    assert sorted(hit.rule_id for _set, part in sets for hit in part) == list(range(30))
    message = "q" * 829 + "29x"
    assert [part[index].rule_id for pattern_set, part in sets for index in (pattern_set.Match(message) or [])] == [29]


def test_a_pattern_too_big_even_for_a_set_of_its_own_is_left_out() -> None:
    hit = FilterHit(7, FilterAction.WARN, FilterKind.PATTERN)
    skipped: list[tuple[int, str]] = []
    assert _build_sets([("[a-z]{1000}" * 20, hit)], skipped) == []
    assert skipped == [(7, "That pattern is too large to check quickly.")]


def test_validate_phrase_returns_the_folded_phrase_or_a_reason() -> None:
    assert validate_phrase("  Shut UP! ") == "shut up"
    with pytest.raises(FilterInputError, match="no letters or numbers"):
        validate_phrase("?!... 😂")
    with pytest.raises(FilterInputError, match="at most 100"):
        validate_phrase("a" * 101)
    assert validate_phrase("a" * 100) == "a" * 100


# --- the warning ladder ------------------------------------------------------------------------------------


def test_default_ladder_grows_gently_and_never_bans() -> None:
    assert validate_ladder(DEFAULT_LADDER) == DEFAULT_LADDER
    assert [(rung.points, rung.action, rung.duration) for rung in DEFAULT_LADDER] == [
        (2, LadderAction.TIMEOUT, timedelta(minutes=10)),
        (3, LadderAction.TIMEOUT, timedelta(hours=1)),
        (4, LadderAction.TIMEOUT, timedelta(days=1)),
        (5, LadderAction.ALERT_ADMINS, None),
    ]
    assert {rung.action for rung in DEFAULT_LADDER} <= {"timeout", "alert_admins"}


def test_validate_ladder_accepts_28_days_and_an_empty_ladder() -> None:
    ladder = (LadderRung(1, LadderAction.TIMEOUT, timedelta(days=28)),)
    assert validate_ladder(ladder) == ladder
    assert validate_ladder([]) == ()


@pytest.mark.parametrize(
    ("rungs", "reason"),
    [
        ([LadderRung(2, LadderAction.TIMEOUT, timedelta(days=28, seconds=1))], "at most 28 days"),
        ([LadderRung(2, LadderAction.TIMEOUT, timedelta(days=60))], "at most 28 days"),
        (
            [
                LadderRung(3, LadderAction.TIMEOUT, timedelta(minutes=10)),
                LadderRung(2, LadderAction.TIMEOUT, timedelta(hours=1)),
            ],
            "more points",
        ),
        (
            [
                LadderRung(2, LadderAction.TIMEOUT, timedelta(minutes=10)),
                LadderRung(2, LadderAction.TIMEOUT, timedelta(hours=1)),
            ],
            "more points",
        ),
        ([LadderRung(0, LadderAction.TIMEOUT, timedelta(minutes=10))], "at least 1 point"),
        ([LadderRung(-1, LadderAction.ALERT_ADMINS)], "at least 1 point"),
        ([LadderRung(2, LadderAction.TIMEOUT, timedelta(0))], "at least a minute"),
        ([LadderRung(2, LadderAction.TIMEOUT, timedelta(minutes=-5))], "at least a minute"),
        ([LadderRung(2, LadderAction.TIMEOUT, None)], "at least a minute"),
        ([LadderRung(2, LadderAction.ALERT_ADMINS, timedelta(hours=1))], "can't have a duration"),
        (
            [
                LadderRung(2, LadderAction.TIMEOUT, timedelta(days=1)),
                LadderRung(3, LadderAction.TIMEOUT, timedelta(minutes=10)),
            ],
            "shorter than one below",
        ),
    ],
)
def test_validate_ladder_refuses_with_a_plain_reason(rungs: list[LadderRung], reason: str) -> None:
    with pytest.raises(LadderError) as refused:
        validate_ladder(rungs)
    assert reason in refused.value.message


def test_active_points_expire_after_30_days_but_pardons_never_count() -> None:
    records = [
        WarningRecord(1, 1, NOW - timedelta(days=30)),  # expires exactly now
        WarningRecord(2, 2, NOW - timedelta(days=30) + timedelta(seconds=1)),
        WarningRecord(3, 5, NOW - timedelta(days=1), pardoned=True),
        WarningRecord(4, 1, NOW),
    ]
    assert active_points(records, NOW) == 3
    assert active_points(records, NOW + timedelta(seconds=1)) == 1
    assert active_points(records, NOW, expiry=timedelta(days=90)) == 4
    assert active_points([], NOW) == 0


def test_active_points_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        active_points([], NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("previous", "new", "expected_points"),
    [
        (0, 1, None),  # a first warning is only a warning
        (1, 2, 2),
        (2, 3, 3),
        (1, 4, 4),  # a 3-point warning lands on the highest rung it passes
        (0, 9, 5),
        (4, 4, None),  # nothing new crossed
        (5, 6, None),  # above the top rung
        (3, 2, None),  # points went down (a pardon)
    ],
)
def test_rung_for_returns_the_highest_rung_crossed(previous: int, new: int, expected_points: int | None) -> None:
    rung = rung_for(previous, new, DEFAULT_LADDER)
    assert (rung.points if rung else None) == expected_points


def test_warnings_climb_the_ladder_and_step_back_down_as_they_expire() -> None:
    records: list[WarningRecord] = []
    consequences = []
    for day in range(3):
        at = NOW + timedelta(days=day)
        before = active_points(records, at)
        records.append(WarningRecord(day, 1, at))
        consequences.append(rung_for(before, active_points(records, at), DEFAULT_LADDER))
    assert [rung and rung.duration for rung in consequences] == [None, timedelta(minutes=10), timedelta(hours=1)]
    later = NOW + timedelta(days=45)
    before = active_points(records, later)
    records.append(WarningRecord(9, 1, later))
    assert before == 0
    assert rung_for(before, active_points(records, later), DEFAULT_LADDER) is None


# --- who may warn whom -------------------------------------------------------------------------------------


def warn_check(**overrides: object) -> str | None:
    arguments: dict[str, object] = {
        "actor_id": 1,
        "target_id": 2,
        "actor_is_owner": False,
        "actor_top_position": 5,
        "target_top_position": 3,
        "target_is_admin": False,
        "target_is_bot": False,
        "target_is_owner": False,
    } | overrides
    return can_warn(**arguments)  # type: ignore[arg-type]


def test_a_facilitator_may_warn_a_member_below_them() -> None:
    assert warn_check() is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"target_id": 1}, "yourself"),
        ({"target_is_bot": True}, "Bots"),
        ({"target_is_owner": True, "target_top_position": 99}, "owner"),
        ({"target_is_admin": True}, "Admins"),
        ({"target_top_position": 5}, "below yours"),
        ({"target_top_position": 8}, "below yours"),
        ({"actor_is_owner": True, "target_is_admin": True}, "Admins"),
        ({"actor_is_owner": True, "target_id": 1}, "yourself"),
    ],
)
def test_can_warn_refuses_kindly(overrides: dict[str, object], reason: str) -> None:
    refusal = warn_check(**overrides)
    assert refusal is not None and reason in refusal
    assert refusal.endswith(".") and "2" not in refusal  # a sentence, no ids


def test_the_owner_may_warn_any_member_whatever_their_roles() -> None:
    assert warn_check(actor_is_owner=True, actor_top_position=0, target_top_position=10) is None
