"""The recurring circles' repository on a real SQLite file with the real migrations: claims, opt-ins, privacy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.db.repos.series import EVENT_SCHEDULED, MISSED_BY_BOT, OPENED, PLANNED, SKIPPED
from bot.db.store import Store
from bot.domain.circle import CircleSettings, Enforcement
from bot.domain.recurrence import Recurrence

G, OTHER_G = 1310000000000000001, 1310000000000000777
ROSA, KEN, MIA = 1310000000000000002, 1310000000000000003, 1310000000000000004
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
S1 = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
S2 = S1 + timedelta(weeks=1)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "series.db")
    try:
        yield store
    finally:
        await store.close()


async def add(db: Store, guild_id: int = G, by: int | None = ROSA, name: str = "Grief circle") -> int:
    return await db.series.add(
        guild_id=guild_id,
        channel_id=guild_id + 20,
        name=name,
        recurrence=Recurrence(frozenset({1}), 19, 0, interval_weeks=2, anchor=date(2026, 3, 9)),
        settings=CircleSettings(turn_seconds=120, rounds=2, enforcement=Enforcement.GENTLE, deck="gratitude"),
        duration_minutes=90,
        auto_start=True,
        open_minutes_before=15,
        next_session=S1,
        created_by_user_id=by,
        now=T0,
    )


async def test_a_series_reads_back_as_it_was_stored(db: Store) -> None:
    series_id = await add(db)
    series = await db.series.get(series_id)
    assert series is not None
    assert series.recurrence.anchor == date(2026, 3, 9) and series.recurrence.interval_weeks == 2
    assert series.settings.deck == "gratitude" and series.settings.enforcement == Enforcement.GENTLE
    assert (series.duration_minutes, series.auto_start, series.open_minutes_before) == (90, True, 15)
    assert series.next_session == S1 and series.created_at == T0 and series.ended_at is None
    assert [s.id for s in await db.series.active(G)] == [series_id]
    assert await db.series.active(OTHER_G) == []


async def test_every_step_is_claimed_once(db: Store) -> None:
    series_id = await add(db)
    assert await db.series.claim_next(series_id, S1, S2)
    assert not await db.series.claim_next(series_id, S1, S2)  # a second run for the same moment does nothing
    results = await asyncio.gather(*(db.series.claim_status(series_id, G, S2, OPENED) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert not await db.series.claim_status(series_id, G, S2, MISSED_BY_BOT)  # opened stays opened
    assert await db.series.claim_flag(series_id, S2, "started")
    assert not await db.series.claim_flag(series_id, S2, "started")
    with pytest.raises(ValueError, match="flag"):
        await db.series.claim_flag(series_id, S2, "status = 'x', started")
    session = await db.series.session(series_id, S2)
    assert session is not None and session.status == OPENED and session.started and not session.reminded


async def test_sessions_keep_their_event_and_circle(db: Store) -> None:
    series_id = await add(db)
    assert await db.series.plan(series_id, G, S1)
    assert not await db.series.plan(series_id, G, S1)
    await db.series.set_event(series_id, S1, 555, EVENT_SCHEDULED)
    await db.series.set_circle(series_id, S1, 42)
    found = await db.series.session_for_circle(42)
    assert found is not None and (found.event_id, found.event_status, found.status) == (555, 1, PLANNED)
    await db.series.plan(series_id, G, S2, SKIPPED)
    assert [s.status for s in await db.series.sessions_from(series_id, S1)] == [PLANNED, SKIPPED]


async def test_unscheduling_keeps_the_history_and_forgets_the_opt_ins(db: Store) -> None:
    series_id = await add(db)
    await db.series.plan(series_id, G, S1)
    await db.series.set_reminder(series_id, G, KEN, True, T0)
    assert await db.series.end(G, series_id, T0)
    assert not await db.series.end(G, series_id, T0)
    assert await db.series.reminder_users(series_id) == []
    assert await db.series.active() == []
    assert [s.status for s in await db.series.cancel_planned(series_id)] == [PLANNED]
    session = await db.series.session(series_id, S1)
    assert session is not None and session.status == "cancelled"
    assert not await db.series.claim_next(series_id, S1, S2)  # an ended series never moves on


async def test_a_circle_carries_its_series_id(db: Store) -> None:
    series_id = await add(db)
    circle_id = await db.circles.create(
        guild_id=G,
        channel_id=G + 20,
        channel_kind="text",
        status="gathering",
        state={},
        facilitator_user_id=ROSA,
        now=T0,
        series_id=series_id,
    )
    one_off = await db.circles.create(
        guild_id=G,
        channel_id=G + 21,
        channel_kind="text",
        status="gathering",
        state={},
        facilitator_user_id=None,
        now=T0,
    )
    rows = await db.db.fetchall("SELECT id, series_id FROM circles ORDER BY id")
    assert [(r["id"], r["series_id"]) for r in rows] == [(circle_id, series_id), (one_off, None)]


async def test_privacy_export_and_delete(db: Store) -> None:
    user_tables = dict(await db.db.user_tables())
    assert user_tables["circle_series"] == ["created_by_user_id"]
    assert user_tables["series_reminders"] == ["user_id"]
    assert "series_sessions" not in user_tables  # sessions name nobody
    mine = await add(db)
    elsewhere = await add(db, guild_id=OTHER_G)
    await db.series.set_reminder(mine, G, KEN, True, T0)
    await db.series.set_reminder(mine, G, MIA, True, T0)
    await db.series.set_reminder(elsewhere, OTHER_G, KEN, True, T0)
    assert await db.series.reminder_users(mine) == [KEN, MIA]

    exported = await db.series.export_user(G, KEN)
    assert exported["circle_series"] == []
    assert [(r["series_id"], r["series_name"], r["user_id"]) for r in exported["series_reminders"]] == [
        (mine, "Grief circle", KEN)
    ]
    by_rosa = await db.series.export_user(G, ROSA)
    assert [(r["id"], r["created_by_user_id"]) for r in by_rosa["circle_series"]] == [(mine, ROSA)]

    assert await db.series.delete_user(G, KEN) == 1
    assert await db.series.reminder_users(mine) == [MIA]
    assert await db.series.reminder_users(elsewhere) == [KEN]  # another server's data is not touched
    assert await db.series.delete_user(G, ROSA) == 1
    series = await db.series.get(mine)
    assert series is not None and series.created_by_user_id is None  # the series stays: it is the group's
    assert await db.series.export_user(G, ROSA) == {
        "circle_series": [],
        "series_reminders": [],
        "series_reminder_sends": [],
    }

    await db.series.set_reminder(mine, G, MIA, False, T0)
    assert await db.series.reminder_users(mine) == []
