"""Crisis care's repository on a real SQLite file with the real migrations: settings, choices, the 24-hour record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db.repos.crisis import OTHER_COUNTRY, WINDOW, CrisisSettings, MemberPrefs
from bot.db.store import Store

G, OTHER_G = 1310000000000000001, 1310000000000000777
KEN, MIA = 1310000000000000003, 1310000000000000004
T0 = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "crisis.db")
    try:
        yield store
    finally:
        await store.close()


async def test_tables_hold_no_text_and_take_part_in_privacy(db: Store) -> None:
    columns = [row["name"] for row in await db.db.fetchall("PRAGMA table_info(crisis_responses)")]
    assert columns == ["id", "guild_id", "user_id", "kind", "tier", "categories", "at"]
    user_tables = dict(await db.db.user_tables())
    assert user_tables["crisis_member_prefs"] == ["user_id"]
    assert user_tables["crisis_responses"] == ["user_id"]
    assert "crisis_settings" not in user_tables  # the alert channel is a channel, not a person


async def test_server_settings_default_then_change(db: Store) -> None:
    assert await db.crisis.settings(G) == CrisisSettings(G, "circles", None, None)
    await db.crisis.set_scope(G, "server", T0)
    await db.crisis.set_alert_channel(G, 99, T0)
    await db.crisis.set_region(G, "GB", T0)
    assert await db.crisis.settings(G) == CrisisSettings(G, "server", 99, "GB")
    await db.crisis.set_alert_channel(G, None, T0)
    await db.crisis.set_region(G, None, T0)
    assert await db.crisis.settings(G) == CrisisSettings(G, "server", None, None)
    assert await db.crisis.settings(OTHER_G) == CrisisSettings(OTHER_G)
    with pytest.raises(ValueError):
        await db.crisis.set_scope(G, "everywhere", T0)


async def test_member_choices_and_a_row_back_at_defaults_is_dropped(db: Store) -> None:
    assert await db.crisis.prefs(G, KEN) == MemberPrefs(G, KEN)
    await db.crisis.set_country(G, KEN, "DE", T0)
    await db.crisis.set_screen_off(G, KEN, True, T0)
    assert await db.crisis.prefs(G, KEN) == MemberPrefs(G, KEN, "DE", True)
    assert await db.crisis.prefs(OTHER_G, KEN) == MemberPrefs(OTHER_G, KEN)
    await db.crisis.set_country(G, KEN, OTHER_COUNTRY, T0)
    assert (await db.crisis.prefs(G, KEN)).country == OTHER_COUNTRY
    await db.crisis.set_country(G, KEN, None, T0)
    await db.crisis.set_screen_off(G, KEN, False, T0)
    assert await db.db.fetchall("SELECT * FROM crisis_member_prefs") == []


async def test_one_check_in_per_day_unless_the_tier_rises(db: Store) -> None:
    assert await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0) is not None
    assert await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0 + timedelta(hours=1)) is None
    assert await db.crisis.claim_dm(G, KEN, 3, ("plan",), T0 + timedelta(hours=2)) is not None
    assert await db.crisis.claim_dm(G, KEN, 3, ("plan",), T0 + timedelta(hours=3)) is None
    assert await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0 + timedelta(hours=4)) is None
    # Someone else, or the same person in another server, is counted apart.
    assert await db.crisis.claim_dm(G, MIA, 2, ("ideation",), T0 + timedelta(hours=4)) is not None
    assert await db.crisis.claim_dm(OTHER_G, KEN, 2, ("ideation",), T0 + timedelta(hours=4)) is not None
    # A day after the tier-3 one, a new check-in is due again.
    assert await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0 + timedelta(hours=2, seconds=-1) + WINDOW) is None
    assert await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0 + timedelta(hours=2) + WINDOW) is not None


async def test_im_okay_silences_check_ins_for_a_day_whatever_the_tier_but_not_alerts(db: Store) -> None:
    await db.crisis.record_okay(G, KEN, 2, T0)
    assert await db.crisis.claim_dm(G, KEN, 3, ("plan",), T0 + timedelta(hours=23)) is None
    assert await db.crisis.claim_alert(G, KEN, 3, ("plan",), T0 + timedelta(hours=23)) is not None
    assert await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0 + WINDOW + timedelta(seconds=1)) is not None


async def test_one_alert_per_day_and_a_refused_alert_is_forgotten(db: Store) -> None:
    first = await db.crisis.claim_alert(G, KEN, 3, ("plan",), T0)
    assert first is not None
    assert await db.crisis.claim_alert(G, KEN, 3, ("goodbye",), T0 + timedelta(hours=5)) is None
    await db.crisis.forget(first)
    assert await db.crisis.claim_alert(G, KEN, 3, ("goodbye",), T0 + timedelta(hours=5)) is not None


async def test_two_messages_screened_at_once_get_one_check_in(db: Store) -> None:
    claims = await asyncio.gather(*(db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0) for _ in range(5)))
    assert sum(claim is not None for claim in claims) == 1


async def test_categories_are_kept_and_nothing_else(db: Store) -> None:
    await db.crisis.claim_dm(G, KEN, 3, ("means", "plan"), T0)
    rows = [
        dict(r) for r in await db.db.fetchall("SELECT guild_id, user_id, kind, tier, categories FROM crisis_responses")
    ]
    assert rows == [{"guild_id": G, "user_id": KEN, "kind": "dm", "tier": 3, "categories": "means,plan"}]


async def test_prune_deletes_what_the_day_no_longer_needs_and_says_when_next(db: Store) -> None:
    assert await db.crisis.prune(T0) is None
    await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0)
    await db.crisis.record_okay(G, MIA, 2, T0 + timedelta(hours=6))
    assert await db.crisis.prune(T0 + timedelta(hours=1)) == T0 + WINDOW
    assert await db.crisis.prune(T0 + WINDOW) == T0 + timedelta(hours=6) + WINDOW
    assert [r["user_id"] for r in await db.db.fetchall("SELECT user_id FROM crisis_responses")] == [MIA]
    assert await db.crisis.prune(T0 + timedelta(hours=6) + WINDOW) is None
    assert await db.db.fetchall("SELECT * FROM crisis_responses") == []


async def test_export_and_delete_cover_exactly_the_member_in_that_server(db: Store) -> None:
    await db.crisis.set_country(G, KEN, "GB", T0)
    await db.crisis.claim_dm(G, KEN, 2, ("ideation",), T0)
    await db.crisis.record_okay(G, KEN, 2, T0 + timedelta(minutes=5))
    await db.crisis.set_country(G, MIA, "FR", T0)
    await db.crisis.claim_dm(G, MIA, 2, ("self_harm",), T0)
    await db.crisis.set_screen_off(OTHER_G, KEN, True, T0)

    exported = await db.crisis.export_user(G, KEN)
    assert set(exported) == {"crisis_member_prefs", "crisis_responses"}
    assert [(r["user_id"], r["country"], r["screen_off"]) for r in exported["crisis_member_prefs"]] == [(KEN, "GB", 0)]
    assert [(r["kind"], r["tier"], r["categories"]) for r in exported["crisis_responses"]] == [
        ("dm", 2, "ideation"),
        ("okay", 2, ""),
    ]

    assert await db.crisis.delete_user(G, KEN) == 3
    assert await db.crisis.export_user(G, KEN) == {"crisis_member_prefs": [], "crisis_responses": []}
    assert (await db.crisis.prefs(G, MIA)).country == "FR"
    assert (await db.crisis.prefs(OTHER_G, KEN)).screen_off
    assert [r["user_id"] for r in await db.db.fetchall("SELECT user_id FROM crisis_responses")] == [MIA]
