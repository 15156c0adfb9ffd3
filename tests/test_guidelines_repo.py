"""The guidelines repository on the real migrations: rules versions, acceptances, filters, settings, cases, privacy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db.repos.guidelines import NewCase
from bot.db.store import Store
from bot.domain.guidelines import (
    DEFAULT_LADDER,
    DEFAULT_RULES,
    FilterAction,
    FilterKind,
    FilterScope,
    active_points,
    parse_ladder,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GUILD, OTHER_GUILD = 100, 200
MIA, KEN, ROSA = 11, 12, 13


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "guidelines.db")
    try:
        yield store
    finally:
        await store.close()


async def test_rules_start_absent_and_every_save_bumps_the_version(db: Store) -> None:
    repo = db.guidelines
    assert await repo.rules(GUILD) is None
    assert await repo.save_rules(GUILD, DEFAULT_RULES, expected_version=0, now=NOW) == 1
    assert await repo.save_rules(GUILD, ("Be kind.",), expected_version=1, now=NOW + timedelta(hours=1)) == 2
    rules = await repo.rules(GUILD)
    assert rules is not None and rules.version == 2 and rules.rules == ("Be kind.",)
    assert rules.updated_at == NOW + timedelta(hours=1)
    # An edit started from version 1 after someone saved version 2 is refused, and nothing changes.
    assert await repo.save_rules(GUILD, ("Stale.",), expected_version=1, now=NOW) == 0
    assert (await repo.rules(GUILD)).rules == ("Be kind.",)  # type: ignore[union-attr]
    assert await repo.rules(OTHER_GUILD) is None


async def test_acceptance_keeps_the_latest_version_per_member(db: Store) -> None:
    repo = db.guidelines
    assert await repo.accepted_version(GUILD, MIA) is None
    await repo.accept(GUILD, MIA, 1, NOW)
    await repo.accept(GUILD, MIA, 2, NOW + timedelta(days=1))
    assert await repo.accepted_version(GUILD, MIA) == 2
    assert await repo.accepted_version(OTHER_GUILD, MIA) is None
    rows = await db.db.fetchall("SELECT version, accepted_at FROM rule_acceptances")
    assert [(r["version"], r["accepted_at"][:10]) for r in rows] == [(2, "2026-03-11")]


async def test_filters_round_trip_per_server(db: Store) -> None:
    repo = db.guidelines
    first = await repo.add_filter(
        GUILD, kind=FilterKind.PHRASE, text="jerk", action=FilterAction.WARN, scope=FilterScope.CIRCLES, now=NOW
    )
    await repo.add_filter(
        OTHER_GUILD, kind=FilterKind.PATTERN, text=r"free\s+nitro", action=FilterAction.ALERT,
        scope=FilterScope.SERVER, now=NOW,
    )  # fmt: skip
    rules = await repo.filters(GUILD)
    assert [(r.id, r.kind, r.text, r.action, r.scope) for r in rules] == [
        (first, FilterKind.PHRASE, "jerk", FilterAction.WARN, FilterScope.CIRCLES)
    ]
    assert not await repo.remove_filter(OTHER_GUILD, first)  # another server's filter is not yours to remove
    assert await repo.remove_filter(GUILD, first)
    assert await repo.filters(GUILD) == []


async def test_settings_default_then_each_change_alone(db: Store) -> None:
    repo = db.guidelines
    settings = await repo.settings(GUILD)
    assert settings.mod_log_channel_id is None and settings.warn_expiry_days == 30
    assert settings.ladder == DEFAULT_LADDER and settings.appeal_text is None
    await repo.set_mod_log(GUILD, 555, NOW)
    await repo.set_warn_expiry(GUILD, 7, NOW)
    await repo.set_ladder(GUILD, parse_ladder("1=5m, 3=2d, 4=alert"), NOW)
    await repo.set_appeal_text(GUILD, "Write to @Rosa.", NOW)
    settings = await repo.settings(GUILD)
    assert settings.mod_log_channel_id == 555 and settings.expiry == timedelta(days=7)
    assert settings.ladder == parse_ladder("1=5m, 3=2d, 4=alert")
    assert settings.appeal_text == "Write to @Rosa."
    await repo.set_ladder(GUILD, (), NOW)
    assert (await repo.settings(GUILD)).ladder == ()


async def test_cases_are_numbered_per_server_and_pardons_stop_points_counting(db: Store) -> None:
    repo = db.guidelines
    one = await repo.open_case(GUILD, NewCase(kind="warning", user_id=MIA, actor_user_id=KEN, points=2), NOW)
    other = await repo.open_case(OTHER_GUILD, NewCase(kind="warning", user_id=MIA, points=1), NOW)
    two = await repo.open_case(GUILD, NewCase(kind="timeout", user_id=MIA, refers_to=1, duration_seconds=600), NOW)
    three = await repo.open_case(GUILD, NewCase(kind="warning", user_id=MIA, points=1), NOW + timedelta(days=20))
    assert (one.number, other.number, two.number, three.number) == (1, 1, 2, 3)
    assert (await repo.timeout_from(GUILD, 1)).duration == timedelta(minutes=10)  # type: ignore[union-attr]
    warnings = await repo.warnings(GUILD, MIA)
    assert [w.number for w in warnings] == [1, 3]
    at = NOW + timedelta(days=25)
    assert active_points([w.as_warning() for w in warnings], at) == 3
    pardon = await repo.open_case(GUILD, NewCase(kind="pardon", user_id=MIA, actor_user_id=ROSA, refers_to=1), at)
    assert await repo.mark_pardoned(GUILD, 1, pardon.number, at)
    assert not await repo.mark_pardoned(GUILD, 1, pardon.number, at)  # only once
    assert not await repo.mark_pardoned(GUILD, 2, pardon.number, at)  # a timeout is not a warning
    warnings = await repo.warnings(GUILD, MIA)
    assert active_points([w.as_warning() for w in warnings], at) == 1
    assert warnings[0].pardon_number == pardon.number
    with pytest.raises(ValueError, match="unknown case kind"):
        await repo.open_case(GUILD, NewCase(kind="ban", user_id=MIA), NOW)


async def test_export_and_delete_a_member_keep_other_peoples_records(db: Store) -> None:
    repo = db.guidelines
    await repo.accept(GUILD, MIA, 1, NOW)
    await repo.accept(GUILD, KEN, 1, NOW)
    await repo.open_case(GUILD, NewCase(kind="warning", user_id=MIA, actor_user_id=KEN, points=1), NOW)
    await repo.open_case(GUILD, NewCase(kind="pardon", user_id=MIA, actor_user_id=ROSA, refers_to=1), NOW)
    await repo.open_case(GUILD, NewCase(kind="warning", user_id=ROSA, actor_user_id=MIA, points=1), NOW)
    await repo.open_case(GUILD, NewCase(kind="rules", actor_user_id=MIA), NOW)
    await repo.open_case(OTHER_GUILD, NewCase(kind="warning", user_id=MIA, points=1), NOW)

    exported = await repo.export_user(GUILD, MIA)
    assert [row["user_id"] for row in exported["rule_acceptances"]] == [MIA]
    assert [row["number"] for row in exported["mod_cases"]] == [1, 2, 3, 4]
    assert all(row["guild_id"] == GUILD for rows in exported.values() for row in rows)

    changed = await repo.delete_user(GUILD, MIA)
    assert changed == 1 + 2 + 2  # acceptance; warning and pardon about her; two cases she acted in, anonymised
    assert await repo.export_user(GUILD, MIA) == {"rule_acceptances": [], "mod_cases": []}
    left = await db.db.fetchall("SELECT guild_id, number, kind, user_id, actor_user_id FROM mod_cases ORDER BY id")
    assert [tuple(row) for row in left] == [
        (GUILD, 3, "warning", ROSA, None),
        (GUILD, 4, "rules", None, None),
        (OTHER_GUILD, 1, "warning", MIA, None),  # another server's record is that server's business
    ]
    assert await repo.accepted_version(GUILD, KEN) == 1
    # No table of this feature still names her in this server.
    for table, columns in await db.db.user_tables():
        if table in ("rule_acceptances", "mod_cases"):
            for column in columns:
                row = await db.db.fetchone(
                    f"SELECT count(*) FROM {table} WHERE guild_id = ? AND {column} = ?", (GUILD, MIA)
                )
                assert row is not None and row[0] == 0, (table, column)
