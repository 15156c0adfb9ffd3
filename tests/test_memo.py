"""Settings and choices read on every message come from memory kept by the repository that writes them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db.repos._memo import TableMemo
from bot.db.repos.crisis import CrisisSettings, MemberPrefs
from bot.db.store import Store

NOW = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)
G, OTHER = 1310000000000000001, 1310000000000000002
KEN, MIA = 11, 12


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "memo.db")
    try:
        yield opened
    finally:
        await opened.close()


async def test_reads_come_from_memory_after_one_load_and_a_write_reads_its_key_once(store: Store) -> None:
    crisis = store.crisis
    await crisis.set_scope(G, "server", NOW)
    await crisis.set_screen_off(G, KEN, True, NOW)
    reads = crisis.reads
    for _ in range(1000):
        assert (await crisis.settings(G)).scope == "server"
        assert await crisis.settings(OTHER) == CrisisSettings(OTHER)
        assert (await crisis.prefs(G, KEN)).screen_off
        assert await crisis.prefs(G, MIA) == MemberPrefs(G, MIA)
    assert crisis.reads - reads <= 4  # each table once, and each written key once
    settled = crisis.reads
    for _ in range(100):
        await crisis.settings(G)
        await crisis.prefs(G, KEN)
    assert crisis.reads == settled  # nothing more once everything is known
    await crisis.set_alert_channel(G, 99, NOW)
    assert (await crisis.settings(G)).alert_channel_id == 99  # the write is seen at once
    assert crisis.reads == settled + 1
    await crisis.set_screen_off(G, KEN, False, NOW)
    assert not (await crisis.prefs(G, KEN)).screen_off
    await crisis.delete_user(G, KEN)
    assert await crisis.prefs(G, KEN) == MemberPrefs(G, KEN)


async def test_guild_config_is_held_in_memory_and_written_through(store: Store) -> None:
    guilds = store.guilds
    await guilds.set_timezone(G, "Europe/Berlin", NOW)
    for _ in range(100):
        assert (await guilds.get(G)).timezone == "Europe/Berlin"
        assert (await guilds.get(OTHER)).timezone == "UTC"
    reads = guilds.reads
    await guilds.set_default_turn_seconds(G, 120, NOW)
    assert (await guilds.get(G)).default_turn_seconds == 120
    assert (await guilds.get(G)).timezone == "Europe/Berlin"
    assert guilds.reads == reads + 1


async def test_a_rolled_back_write_leaves_memory_with_what_the_database_holds(store: Store) -> None:
    await store.crisis.set_region(G, "DE", NOW)
    assert (await store.crisis.settings(G)).region == "DE"
    with pytest.raises(RuntimeError):
        async with store.db.transaction():
            await store.crisis.set_region(G, "FR", NOW)
            raise RuntimeError("something else in the same transaction failed")
    assert (await store.crisis.settings(G)).region == "DE"


async def test_a_read_that_overlaps_a_write_never_keeps_the_old_row() -> None:
    table = {"k": 1}
    reading = asyncio.Event()
    release = asyncio.Event()

    async def load_all() -> dict[str, int]:
        return dict(table)

    async def load_one(key: str) -> int | None:
        seen = table.get(key)
        reading.set()
        await release.wait()  # the read is under way (it saw the old row) when the write lands
        return seen

    memo: TableMemo[str, int] = TableMemo(load_all, load_one)
    assert await memo.get("k") == 1
    memo.stale("k")  # an earlier write
    slow = asyncio.create_task(memo.get("k"))
    await reading.wait()
    table["k"] = 2
    memo.stale("k")  # a write that lands while that read is out
    release.set()
    assert await slow == 1  # that read answers what it saw...
    assert await memo.get("k") == 2  # ...but did not keep it: the next read reads again
