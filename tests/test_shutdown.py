"""Stopping and starting: SIGTERM and SIGINT close the bot cleanly, and a second start loses nothing, repeats nothing.

The first tests hold the scheduler's stop to its promise in this process: no timer fires once a stop begins, a job
under way finishes (APScheduler alone would cancel it), work past the grace is cut off, a second signal hurries.
The others send the signal to a real `python -m bot` (through `tests/loopback_launcher.py`) connected to a
loopback Discord in this process, while a turn change or a reminder batch is under way, then start it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import EXTENSIONS
from bot.clock import SystemClock
from bot.db.database import Database
from bot.db.store import Store
from bot.domain import circle
from bot.domain.circle import CircleSettings, CircleState, Enforcement
from bot.domain.recurrence import bind_anchor, next_occurrence, parse_when
from bot.scheduling import FEATURES, WORK_TASK_PREFIXES, Scheduler
from bot.settings import Settings
from tests.loopback_discord import GUILD_ID, LoopbackDiscord

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "tests" / "loopback_launcher.py"
TOKEN = "loopback-token"
STEP_TIMEOUT = 30.0  # only a broken bot waits this long; then the test fails instead of hanging


# The scheduler's stop, in this process ----------------------------------------------------------------------


async def _scheduler() -> Scheduler:
    scheduler = Scheduler(SystemClock())
    scheduler.start()
    return scheduler


async def test_a_job_under_way_finishes_and_no_timer_fires_once_the_stop_begins() -> None:
    scheduler = await _scheduler()
    started = asyncio.Event()
    finished: list[str] = []

    async def turn_change() -> None:
        started.set()
        await asyncio.sleep(0.3)  # the announcement's REST call
        finished.append("turn change")

    async def later() -> None:
        finished.append("later")

    scheduler.schedule("circle:1", datetime.now(UTC), turn_change)
    scheduler.schedule("circle:2", datetime.now(UTC) + timedelta(seconds=0.5), later)
    await asyncio.wait_for(started.wait(), STEP_TIMEOUT)
    await scheduler.shutdown(grace=5)
    assert scheduler.stopping
    assert finished == ["turn change"]  # finished, not cancelled; and the later timer never fired
    await asyncio.sleep(0.4)
    assert finished == ["turn change"]


async def test_work_past_the_grace_is_cut_off_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = await _scheduler()
    started = asyncio.Event()
    cancelled: list[bool] = []

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    batch = asyncio.create_task(stuck(), name="circles: series reminders")
    await asyncio.wait_for(started.wait(), STEP_TIMEOUT)
    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        await asyncio.wait_for(scheduler.shutdown(grace=0.2), STEP_TIMEOUT)
    assert batch.cancelled() and cancelled == [True]
    assert any("cut off" in r.getMessage() and "circles: series reminders" in r.getMessage() for r in caplog.records)


async def test_every_caller_of_a_stop_returns_once_it_is_done_and_a_second_signal_hurries_it() -> None:
    scheduler = await _scheduler()
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(60)

    scheduler.schedule("circle:1", datetime.now(UTC), slow)
    await asyncio.wait_for(started.wait(), STEP_TIMEOUT)
    first = asyncio.create_task(scheduler.shutdown(grace=60))
    second = asyncio.create_task(scheduler.shutdown(grace=60))
    await asyncio.sleep(0.1)
    assert not first.done() and not second.done()
    scheduler.hurry()
    await asyncio.wait_for(asyncio.gather(first, second), STEP_TIMEOUT)


def test_every_feature_s_own_background_work_is_waited_for() -> None:
    assert {f"cogs.{feature}" for feature in FEATURES} == set(EXTENSIONS)
    assert all(f"{feature}: " in WORK_TASK_PREFIXES for feature in FEATURES)


# A real process ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """`python -m bot` through the loopback launcher, its log read as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process, health_port: int) -> None:
        self.proc = proc
        self.health_port = health_port
        self.lines: list[str] = []
        self._seen = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, fake: LoopbackDiscord, database: Path, cwd: Path) -> BotProcess:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
        env.update(
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            DISCORD_TOKEN=TOKEN,
            DATABASE_PATH=str(database),
            LOG_LEVEL="INFO",
            HEALTH_PORT=str(port),
            LOOPBACK_API_BASE=fake.api_base,
            LOOPBACK_GATEWAY=str(fake.gateway_url),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(LAUNCHER),
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(proc, port)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            async with self._seen:
                self.lines.append(raw.decode(errors="replace").rstrip())
                self._seen.notify_all()

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, text: str) -> None:
        async with self._seen:
            try:
                await asyncio.wait_for(
                    self._seen.wait_for(lambda: any(text in line for line in self.lines)), STEP_TIMEOUT
                )
            except TimeoutError:
                pytest.fail(f"the bot never logged {text!r}:\n{self.log}")

    async def healthz(self) -> int | None:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.health_port}/healthz") as answer,
            ):
                return answer.status
        except aiohttp.ClientError:
            return None

    async def wait_until_healthy(self) -> None:
        for _ in range(int(STEP_TIMEOUT / 0.1)):
            if self.proc.returncode is not None:
                pytest.fail(f"the bot stopped before it was ready:\n{self.log}")
            if await self.healthz() == 200:
                return
            await asyncio.sleep(0.1)
        pytest.fail(f"the bot never became healthy:\n{self.log}")

    async def metrics(self) -> str:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.health_port}/metrics") as answer,
        ):
            return await answer.text()

    def send(self, signum: signal.Signals) -> None:
        self.proc.send_signal(signum)

    async def exit_status(self) -> int:
        try:
            status = await asyncio.wait_for(self.proc.wait(), STEP_TIMEOUT)
        except TimeoutError:
            self.proc.kill()
            pytest.fail(f"the bot did not stop:\n{self.log}")
        await self._reader
        return status

    def assert_quiet(self) -> None:
        """Nothing went wrong on the way: no traceback, no ERROR, nothing cut off."""
        assert "Traceback" not in self.log, self.log
        assert " ERROR " not in self.log and " CRITICAL " not in self.log, self.log
        assert "cut off" not in self.log, self.log


_SETTINGS = {name.upper() for name in Settings.model_fields}  # none of the developer's own reach the bot


@contextlib.asynccontextmanager
async def _running(fake: LoopbackDiscord, database: Path, cwd: Path) -> AsyncIterator[BotProcess]:
    bot = await BotProcess.start(fake, database, cwd)
    try:
        yield bot
    finally:
        if bot.proc.returncode is None:
            bot.proc.kill()
            await bot.proc.wait()
        await asyncio.gather(bot._reader, return_exceptions=True)


@pytest.fixture
async def fake() -> AsyncIterator[LoopbackDiscord]:
    discord = LoopbackDiscord(token=TOKEN)
    await discord.start()
    try:
        yield discord
    finally:
        await discord.close()


def _closed_cleanly(database: Path) -> None:
    """The last connection closed properly: SQLite folded the write-ahead log back in and removed it."""
    for suffix in ("-wal", "-shm"):
        leftover = Path(f"{database}{suffix}")
        assert not leftover.exists() or leftover.stat().st_size == 0, f"{leftover.name} left behind"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _circle_state(database: Path) -> CircleState:
    import json

    with contextlib.closing(sqlite3.connect(database)) as conn:
        row = conn.execute("SELECT state FROM circles WHERE status != 'ended'").fetchone()
    assert row is not None
    return CircleState.from_json(json.loads(row[0]))


async def _seed(database: Path, seed: Any) -> None:
    db = await Database.open(database)
    try:
        await db.migrate()
        await seed(Store(db))
    finally:
        await db.close()


def _stick_passed_to(fake: LoopbackDiscord, user_id: int) -> list[Any]:
    return [p for p in fake.posted if p.dm_user is None and f"<@{user_id}>, the stick is yours" in p.content]


async def test_sigterm_during_a_turn_change_then_a_second_start_continues_the_turn_without_repeating(
    tmp_path: Path, fake: LoopbackDiscord
) -> None:
    database = tmp_path / "circles.db"
    room = fake.channel_id("circle-room")
    ken, mia, lu = fake.user_ids()[1:4]
    turn = 6
    first_turn_ends = datetime.now(UTC) + timedelta(seconds=5)  # most likely after the first start is up

    async def a_circle_mid_turn(store: Store) -> None:
        settings = CircleSettings(turn_seconds=turn, rounds=1, enforcement=Enforcement.GENTLE, warning_seconds=0)
        started_at = first_turn_ends - timedelta(seconds=turn)
        state = circle.open_circle(settings)
        for user in (ken, mia, lu):
            state = circle.join(state, user, started_at).state
        state = circle.start(state, started_at).state
        assert state.holder == ken
        circle_id = await store.circles.create(
            guild_id=GUILD_ID,
            channel_id=room,
            channel_kind="text",
            status=state.status.value,
            state=state.to_json(),
            facilitator_user_id=fake.user_ids()[0],
            now=started_at,
        )
        await store.circles.save(
            circle_id, status=state.status.value, state=state.to_json(), next_deadline=circle.next_deadline(state)
        )

    await _seed(database, a_circle_mid_turn)
    # The stick's move to Mia is posted, and Discord is slow to answer: SIGTERM comes while the call is under way.
    fake.hold_posts_in(room)
    async with _running(fake, database, tmp_path) as first:
        await first.wait_until_healthy()
        await asyncio.wait_for(fake.held.wait(), STEP_TIMEOUT)
        first.send(signal.SIGTERM)
        await first.wait_for_line("closing cleanly")
        await asyncio.sleep(0.5)
        assert first.proc.returncode is None, "the bot did not wait for the turn change under way"
        assert await first.healthz() == 503  # stopping: not healthy any more, still answering
        fake.release.set()
        assert await first.exit_status() == 0
        first.assert_quiet()
    _closed_cleanly(database)
    assert len(_stick_passed_to(fake, mia)) == 1
    saved = _circle_state(database)
    assert saved.holder == mia
    mia_ends = circle.next_deadline(saved)
    assert mia_ends is not None

    # The second start restores the circle as it was: Mia's turn goes on, and ends on its own timer, once.
    async with _running(fake, database, tmp_path) as second:
        await second.wait_until_healthy()
        posted = await fake.wait_for_posts(2, dm=False)
        assert second.proc.returncode is None
        metrics = await second.metrics()
        second.send(signal.SIGINT)
        assert await second.exit_status() == 0
        second.assert_quiet()
    _closed_cleanly(database)
    assert len(_stick_passed_to(fake, mia)) == 1, "the restore announced Mia's turn again"
    to_lu = _stick_passed_to(fake, lu)
    assert len(to_lu) == 1 and posted[-1] is to_lu[0]
    assert to_lu[0].wall >= mia_ends - timedelta(milliseconds=50), "Mia's turn was cut short by the restart"
    assert _circle_state(database).holder == lu
    assert "empathy_circles_active_circles 1" in metrics
    assert 'empathy_circles_gateway_connected{shard="0"} 1' in metrics
    assert fake.unknown == [] and fake.bad_auth == []


async def test_sigterm_during_a_reminder_batch_sends_each_reminder_once_across_a_restart(
    tmp_path: Path, fake: LoopbackDiscord
) -> None:
    database = tmp_path / "circles.db"
    room = fake.channel_id("circle-room")
    members = fake.user_ids()[1:4]

    async def a_series_an_hour_away_with_reminders(store: Store) -> None:
        now = datetime.now(UTC)
        session = now.replace(second=0, microsecond=0) + timedelta(hours=1)  # its reminders are due now
        rec = parse_when(
            f"weekly {session.strftime('%a').lower()} {session:%H:%M}",
            allow_daily=False,
            allow_multi_day=True,
            allow_interval=True,
        )
        rec = bind_anchor(rec, now=now, tz="UTC")
        assert next_occurrence(rec, now, "UTC") == session
        series_id = await store.series.add(
            guild_id=GUILD_ID,
            channel_id=room,
            name="Grief circle",
            recurrence=rec,
            settings=CircleSettings(enforcement=Enforcement.GENTLE),
            duration_minutes=60,
            auto_start=False,
            open_minutes_before=10,
            next_session=session,
            created_by_user_id=fake.user_ids()[0],
            now=now - timedelta(days=1),
        )
        for user in members:
            await store.series.set_reminder(series_id, GUILD_ID, user, True, now)

    await _seed(database, a_series_an_hour_away_with_reminders)
    async with _running(fake, database, tmp_path) as first:
        await fake.wait_for_posts(1, dm=True)  # the batch is under way (a DM a second)
        first.send(signal.SIGTERM)
        assert await first.exit_status() == 0
        first.assert_quiet()
    _closed_cleanly(database)
    sent = [p.dm_user for p in fake.posted if p.dm_user is not None]
    # The stop cut the batch short (each DM is recorded as it goes): some went, none twice.
    assert sent and len(sent) == len(set(sent)) and set(sent) < set(members), sent

    async with _running(fake, database, tmp_path) as second:
        await second.wait_until_healthy()
        await fake.wait_for_posts(len(members), dm=True)  # the next start sends the rest, a DM a second
        await asyncio.sleep(1.5)  # a reminder sent again would come by now
        second.send(signal.SIGTERM)
        assert await second.exit_status() == 0
        second.assert_quiet()
    _closed_cleanly(database)
    assert sorted(p.dm_user for p in fake.posted if p.dm_user is not None) == sorted(members)
    assert fake.unknown == [] and fake.bad_auth == []
