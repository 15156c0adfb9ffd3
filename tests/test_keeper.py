"""The plumbing under every turn change: one-hop batches, re-armed timers, and the keeper's write-through cache."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.circle_keeper import CircleKeeper
from bot.clock import ManualClock, SystemClock
from bot.db.database import Statement
from bot.db.store import Store
from bot.domain import circle
from bot.domain.circle import CircleSettings, Status
from bot.scheduling import Scheduler

START = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path):
    store = await Store.open(tmp_path / "keeper.db")
    try:
        yield store
    finally:
        await store.close()


async def test_batch_is_all_or_nothing(db: Store) -> None:
    good = Statement("INSERT INTO guild_config (guild_id, updated_at) VALUES (?, ?)", (1, "2026-05-04T18:00:00+00:00"))
    bad = Statement("INSERT INTO guild_config (guild_id, updated_at) VALUES (?, NULL)", (2,))
    with pytest.raises(sqlite3.IntegrityError):
        await db.db.batch([good, bad])
    assert await db.db.fetchall("SELECT guild_id FROM guild_config") == []
    await db.db.batch(
        [good, Statement("UPDATE guild_config SET timezone = ? WHERE guild_id = ?", ("Europe/Berlin", 1))]
    )
    row = await db.db.fetchone("SELECT timezone FROM guild_config WHERE guild_id = 1")
    assert row is not None and row["timezone"] == "Europe/Berlin"


async def test_batch_inside_a_transaction_joins_it(db: Store) -> None:
    statement = Statement("INSERT INTO guild_config (guild_id, updated_at) VALUES (?, ?)", (3, "x"))
    with pytest.raises(RuntimeError):
        async with db.db.transaction():
            await db.db.batch([statement])
            raise RuntimeError("the caller changes its mind")
    assert await db.db.fetchone("SELECT guild_id FROM guild_config WHERE guild_id = 3") is None


async def test_a_timer_that_re_arms_itself_keeps_running_and_one_that_does_not_is_removed() -> None:
    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    scheduler.start()
    runs: list[datetime] = []

    async def tick() -> None:
        runs.append(clock.now())
        if len(runs) < 3:
            scheduler.schedule("tick", clock.now() + timedelta(seconds=10), tick)

    scheduler.schedule("tick", START + timedelta(seconds=10), tick)
    scheduler.schedule("tick", START + timedelta(seconds=5), tick)  # moving it keeps one job
    assert scheduler.job_ids() == ["tick"]
    assert scheduler.when("tick") == START + timedelta(seconds=5)
    await scheduler.advance(60)
    assert runs == [START + timedelta(seconds=s) for s in (5, 15, 25)]
    assert scheduler.job_ids() == []
    await scheduler.shutdown()


async def test_the_real_scheduler_parks_a_fired_job_until_it_re_arms() -> None:
    scheduler = Scheduler(SystemClock())
    scheduler.start()
    done = asyncio.Event()
    runs: list[int] = []

    async def tick() -> None:
        runs.append(len(runs))
        if len(runs) < 2:
            scheduler.schedule("tick", datetime.now(UTC) + timedelta(milliseconds=20), tick)
        else:
            done.set()

    scheduler.schedule("tick", datetime.now(UTC) + timedelta(milliseconds=20), tick)
    await asyncio.wait_for(done.wait(), timeout=10)
    for _ in range(20):
        if not scheduler.job_ids():
            break
        await asyncio.sleep(0.01)
    assert runs == [0, 1]
    assert scheduler.job_ids() == []
    await scheduler.shutdown()


async def _circle(db: Store, keeper: CircleKeeper) -> int:
    state = circle.open_circle(CircleSettings(turn_seconds=60, rounds=1, warning_seconds=20))
    circle_id = await db.circles.create(
        guild_id=1,
        channel_id=2,
        channel_kind="text",
        status=state.status.value,
        state=state.to_json(),
        facilitator_user_id=3,
        now=START,
    )
    for user in (11, 12):
        async with keeper.lock(circle_id):
            await keeper.step(circle_id, lambda s, t, u=user: circle.join(s, u, t), START)
    return circle_id


async def test_the_keeper_saves_what_it_caches(db: Store) -> None:
    scheduler = Scheduler(ManualClock(START))
    keeper = CircleKeeper(db, scheduler, lambda circle_id: asyncio.sleep(0))
    circle_id = await _circle(db, keeper)
    async with keeper.lock(circle_id):
        done = await keeper.step(circle_id, circle.start, START)
    assert done is not None
    cached = await keeper.load(circle_id)
    row = await db.circles.get(circle_id)
    assert cached is not None and row is not None
    assert cached.state == done[1].state
    assert row.state == cached.row.state and row.status == Status.RUNNING.value == cached.row.status
    assert scheduler.when(f"circle:{circle_id}") == circle.next_deadline(done[1].state)
    events = await db.attendance.for_circle(circle_id)
    assert [(e.user_id, e.kind) for e in events] == [(11, "joined"), (12, "joined")]

    await keeper.set_card(circle_id, 999)
    cached = await keeper.load(circle_id)
    assert cached is not None and cached.row.card_message_id == 999

    async with keeper.lock(circle_id):
        await keeper.step(circle_id, circle.end, START + timedelta(seconds=30))
    assert await keeper.step(circle_id, circle.advance, START + timedelta(seconds=31)) is None
    row = await db.circles.get(circle_id)
    assert row is not None and row.status == Status.ENDED.value
    assert scheduler.job_ids() == []
    await scheduler.shutdown()


async def test_a_failed_save_leaves_the_cache_unchanged_and_is_read_again(db: Store) -> None:
    scheduler = Scheduler(ManualClock(START))
    keeper = CircleKeeper(db, scheduler, lambda circle_id: asyncio.sleep(0))
    circle_id = await _circle(db, keeper)
    before = await keeper.load(circle_id)
    assert before is not None
    await db.db.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON circles BEGIN SELECT RAISE(ABORT, 'disk is unhappy'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        async with keeper.lock(circle_id):
            await keeper.step(circle_id, circle.start, START)
    await db.db.execute("DROP TRIGGER refuse")
    again = await keeper.load(circle_id)
    assert again is not None and again is not before
    assert again.state == before.state and again.state.status == Status.GATHERING
    await scheduler.shutdown()


async def test_the_keeper_knows_from_memory_which_circle_runs_in_a_channel(db: Store) -> None:
    scheduler = Scheduler(ManualClock(START))
    keeper = CircleKeeper(db, scheduler, lambda circle_id: asyncio.sleep(0))
    circle_id = await _circle(db, keeper)
    keeper.opened(circle_id, 2)
    assert keeper.active_in(2) == circle_id and keeper.active_in(3) is None
    async with keeper.lock(circle_id):
        await keeper.step(circle_id, circle.end, START)
    assert keeper.active_in(2) is None

    # At start-up the index is built from the database, once, with everything else.
    again = await _circle(db, keeper)
    fresh = CircleKeeper(db, scheduler, lambda circle_id: asyncio.sleep(0))
    assert not fresh.restored(1) and fresh.active_in(2) is None
    await fresh.restore(lambda row: circle.advance, START)
    assert fresh.restored(1) and fresh.active_in(2) == again
    await scheduler.shutdown()
