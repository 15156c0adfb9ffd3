"""What admins type for the guidelines: the numbered list of agreements and the warning ladder; which action wins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.guidelines import (
    DEFAULT_LADDER,
    DEFAULT_RULES,
    MAX_RULES,
    FilterAction,
    FilterHit,
    FilterKind,
    LadderAction,
    LadderError,
    LadderRung,
    RulesError,
    describe_ladder,
    format_ladder,
    numbered,
    parse_ladder,
    parse_rules,
    strongest_action,
)


def test_numbered_rules_read_back_as_they_were() -> None:
    assert parse_rules(numbered(DEFAULT_RULES)) == DEFAULT_RULES


@pytest.mark.parametrize(
    "typed",
    [
        "1. Listen.\n2. Be kind.",
        "1) Listen.\n\n  2) Be kind.  \n",
        "- Listen.\n* Be kind.",
        "• Listen.\n• Be kind.",
        "Listen.\nBe kind.",
        "3. Listen.\n1: Be kind.",  # numbers an admin typed are replaced by the bot's own
    ],
)
def test_rules_ignore_the_numbering_and_bullets_people_type(typed: str) -> None:
    assert parse_rules(typed) == ("Listen.", "Be kind.")


def test_a_rule_that_starts_with_a_number_keeps_it() -> None:
    assert parse_rules("2024 was hard for many of us: be gentle.") == ("2024 was hard for many of us: be gentle.",)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("\n 1. \n-\n", "empty"),
        ("\n".join(f"Rule {n}." for n in range(MAX_RULES + 1)), f"keep it to {MAX_RULES}"),
        ("Fine.\n" + "x" * 301, "Agreement 2 is 301 characters"),
    ],
)
def test_rules_refused_with_a_plain_reason(typed: str, reason: str) -> None:
    with pytest.raises(RulesError) as refused:
        parse_rules(typed)
    assert reason in refused.value.message


def test_the_default_ladder_reads_and_writes_in_the_admins_form() -> None:
    assert format_ladder(DEFAULT_LADDER) == "2=10m, 3=1h, 4=1d, 5=alert"
    assert parse_ladder("2=10m, 3=1h, 4=1d, 5=alert") == DEFAULT_LADDER
    assert parse_ladder(" DEFAULT ") == DEFAULT_LADDER
    assert parse_ladder("none") == () and format_ladder(()) == "none"
    assert parse_ladder("1: 30 min; 2: 2 hours\n3 = 1 week\n4=admins") == (
        LadderRung(1, LadderAction.TIMEOUT, timedelta(minutes=30)),
        LadderRung(2, LadderAction.TIMEOUT, timedelta(hours=2)),
        LadderRung(3, LadderAction.TIMEOUT, timedelta(weeks=1)),
        LadderRung(4, LadderAction.ALERT_ADMINS),
    )
    assert describe_ladder(DEFAULT_LADDER)[0] == "2 points: a timeout of 10 minutes"
    assert "no automatic ban" in describe_ladder(DEFAULT_LADDER)[-1]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("2=29d", "at most 28 days"),
        ("2=5w", "at most 28 days"),
        ("2=10q", "Use a number and a unit"),
        ("2=", "couldn't read the step"),
        ("two=10m", "couldn't read the step"),
        ("3=1h, 2=10m", "more points as they go up"),
        ("2=1h, 3=10m", "shorter than one below"),
        ("0=10m", "at least 1 point"),
        (",,", "couldn't find any steps"),
    ],
)
def test_ladder_refused_with_a_plain_reason(typed: str, reason: str) -> None:
    with pytest.raises(LadderError) as refused:
        parse_ladder(typed)
    assert reason in refused.value.message


RUNG = st.builds(
    LadderRung,
    st.integers(1, 50),
    st.just(LadderAction.TIMEOUT),
    st.integers(1, 28 * 24 * 60).map(lambda minutes: timedelta(minutes=minutes)),
)


@given(st.lists(RUNG, max_size=6), st.booleans())
@settings(max_examples=200, deadline=None)
def test_any_valid_ladder_survives_a_round_trip(rungs: list[LadderRung], alert_on_top: bool) -> None:
    ladder = sorted({rung.points: rung for rung in rungs}.values(), key=lambda rung: rung.points)
    durations = sorted(rung.duration for rung in ladder if rung.duration is not None)
    ladder = [LadderRung(rung.points, rung.action, duration) for rung, duration in zip(ladder, durations, strict=True)]
    if alert_on_top:
        ladder.append(LadderRung(max((r.points for r in ladder), default=0) + 1, LadderAction.ALERT_ADMINS))
    assert parse_ladder(format_ladder(ladder)) == tuple(ladder)


def test_warn_beats_delete_beats_alert() -> None:
    def hit(rule_id: int, action: FilterAction) -> FilterHit:
        return FilterHit(rule_id, action, FilterKind.PHRASE)

    assert strongest_action([]) is None
    assert strongest_action([hit(1, FilterAction.ALERT)]) is FilterAction.ALERT
    assert strongest_action([hit(1, FilterAction.ALERT), hit(2, FilterAction.DELETE)]) is FilterAction.DELETE
    assert strongest_action([hit(1, FilterAction.WARN), hit(2, FilterAction.DELETE)]) is FilterAction.WARN
    assert strongest_action([hit(1, "alert"), hit(2, "warn")]) is FilterAction.WARN  # type: ignore[arg-type]
