"""How long `/streak` takes: the repository queries plus the streak rules, on a real SQLite file.

Two databases, built fresh in a temporary folder with the shipped migrations:

- **long-time member**: a server with circles on Monday, Wednesday and Friday for about seven years, and one
  member who came to 1,000 of them (with some weeks missed, so freezes are earned and spent);
- **busy server**: 100,000 attendance rows: 4,167 circles over two years (about 40 a week), each with eight of
  sixty members joining and taking or passing two turns;
- **long-time series member**: the first database's circles as one recurring series (Monday, Wednesday, Friday),
  with a session skipped by a facilitator every ten weeks, so the series streak is walked too.

Each `/streak` is timed as the command runs it (`cogs.streaks.service.member_streaks`: the member's sessions and
their series' in one query, the rules, the probe for the weeks the rules ask about), several hundred times, and
the p50 / p99 / max are printed; then the same with the week-probe index dropped, to show what it is worth. Who
came to each circle is decided once, when it ends (`sum_up`); the bench does that for all circles first and prints
how long.
Prints figures; asserts nothing. The target is a p99 under 5 ms.

Run: .venv/bin/python bench/bench_streaks.py
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db.store import Store
from bot.domain.circle import CircleSettings, CircleState, Status
from cogs.streaks.service import member_streaks, sum_up_pending

GUILD_ID = 1310000000000000001
TZ = "Europe/Berlin"
RUNS = 300
CIRCLES_BUSY = 4167  # x 8 people x 3 events = 100,008 attendance rows
START = datetime(2019, 1, 7, 18, 0, tzinfo=UTC)  # a Monday


def _state(people: list[int]) -> str:
    state = CircleState(settings=CircleSettings(rounds=2), status=Status.ENDED, participants=tuple(people), round=2)
    return json.dumps(state.to_json(), separators=(",", ":"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def _fill(db: Store, circles: list[tuple[datetime, list[int]]]) -> int:
    """Insert ended circles and each participant's events (joined, then two turns taken or passed)."""
    circle_rows = []
    event_rows = []
    for index, (opened, people) in enumerate(circles, start=1):
        circle_rows.append(
            (index, GUILD_ID, 5000 + index % 3, "text", "ended", _state(people), _iso(opened), _iso(opened))
        )
        for person in people:
            kind = "passed" if (person + index) % 5 == 0 else "took_turn"
            at = _iso(opened + timedelta(minutes=5))
            event_rows.append((index, GUILD_ID, person, "joined", 0, at))
            event_rows.append((index, GUILD_ID, person, kind, 1, at))
            event_rows.append((index, GUILD_ID, person, kind, 2, at))
    await db.db.executemany(
        "INSERT INTO circles (id, guild_id, channel_id, channel_kind, status, state, created_at, ended_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        circle_rows,
    )
    await db.db.executemany(
        "INSERT INTO attendance_events (circle_id, guild_id, user_id, kind, round, at) VALUES (?, ?, ?, ?, ?, ?)",
        event_rows,
    )
    await db.db.execute("ANALYZE")
    return len(event_rows)


def long_time_member() -> tuple[list[tuple[datetime, list[int]]], int]:
    rng = random.Random(1)
    member = 42
    circles: list[tuple[datetime, list[int]]] = []
    came = 0
    day = START
    while came < 1000:
        for offset in (0, 2, 4):  # Monday, Wednesday, Friday
            others = rng.sample(range(100, 130), 6)
            # Mostly there; now and then a whole week away (a missed week, covered by a freeze or not).
            away = rng.random() < 0.04 or (day - START).days // 7 % 53 == 30
            people = others if away or came >= 1000 else [member, *others]
            came += member in people
            circles.append((day + timedelta(days=offset), people))
        day += timedelta(weeks=1)
    return circles, member


def busy_server() -> tuple[list[tuple[datetime, list[int]]], list[int]]:
    rng = random.Random(2)
    members = list(range(200, 260))
    circles = []
    for index in range(CIRCLES_BUSY):
        opened = START + timedelta(minutes=index * 210)  # ~48 a week, round the clock, for two years
        circles.append((opened, rng.sample(members, 8)))
    # Three members to ask about: a regular, an occasional one, and one who came once.
    counts = {m: sum(m in people for _, people in circles) for m in members}
    regular = max(counts, key=lambda m: counts[m])
    once_id = 999
    circles[2500] = (circles[2500][0], [*circles[2500][1][:7], once_id])
    occasional = min(counts, key=lambda m: counts[m])
    return circles, [regular, occasional, once_id]


async def time_streak(db: Store, user_id: int, now: datetime) -> tuple[list[float], str]:
    found = await member_streaks(db, GUILD_ID, user_id, tz=TZ, now=now)  # warm up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await member_streaks(db, GUILD_ID, user_id, tz=TZ, now=now)
        times.append((time.perf_counter() - started) * 1000)
    summary = found.summary
    what = f"{summary.sessions_attended} circles, weekly streak {summary.weekly.current}"
    best = summary.best_series()
    if best is not None:
        what += f", series streak {best[1].current}"
    return times, what


def report(label: str, times: list[float], what: str) -> None:
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    print(
        f"  {label:<44} p50 {statistics.median(ordered):6.2f} ms   p99 {p99:6.2f} ms   max {ordered[-1]:6.2f} ms"
        f"   ({what})"
    )


async def make_series(db: Store, circles: list[tuple[datetime, list[int]]]) -> None:
    """Turn every circle into a session of one series, and skip a session (no circle) every ten weeks."""
    await db.db.execute(
        "INSERT INTO circle_series (id, guild_id, channel_id, name, recurrence, settings, next_session, created_at) "
        "VALUES (1, ?, 5000, 'Evening circle', '{}', '{}', ?, ?)",
        (GUILD_ID, _iso(circles[-1][0] + timedelta(days=7)), _iso(START)),
    )
    await db.db.execute("UPDATE circles SET series_id = 1")
    rows = [(GUILD_ID, _iso(opened), "opened", index) for index, (opened, _) in enumerate(circles, start=1)]
    rows += [(GUILD_ID, _iso(START + timedelta(weeks=w, days=1)), "skipped", None) for w in range(0, 360, 10)]
    await db.db.executemany(
        "INSERT INTO series_sessions (series_id, guild_id, starts_at, status, circle_id) VALUES (1, ?, ?, ?, ?)", rows
    )
    await db.db.execute("ANALYZE")


async def time_history(db: Store, user_id: int) -> list[float]:
    times = []
    for _ in range(RUNS // 3):
        started = time.perf_counter()
        await db.attendance.member_sessions(GUILD_ID, user_id)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def scenario(
    folder: Path, name: str, circles: list[tuple[datetime, list[int]]], members: list[int], *, series: bool = False
) -> None:
    db = await Store.open(folder / f"{name}.db")
    try:
        rows = await _fill(db, circles)
        if series:
            await make_series(db, circles)
        now = circles[-1][0] + timedelta(days=1)
        print(f"\n{name}: {len(circles):,} circles, {rows:,} attendance rows")
        started = time.perf_counter()
        summed = await sum_up_pending(db)
        print(
            f"  deciding who came, once per circle (at each circle's end; here all at once): {summed:,} circles "
            f"in {time.perf_counter() - started:.2f} s"
        )
        # As the bot's process does once it has loaded (`freeze_memory`, set by bot/runner.py): long-lived
        # objects are frozen, so a full garbage collection does not walk them (here the bench's own data stands
        # for the bot's caches).
        gc.collect()
        gc.freeze()
        for member in members:
            report(f"/streak for member {member}", *await time_streak(db, member, now))
        history = sorted(await time_history(db, members[0]))
        print(
            f"  /attendance member's history query ({members[0]}): p50 {statistics.median(history):.2f} ms, "
            f"max {history[-1]:.2f} ms"
        )
        for index in ("circles_held", "attended_sessions_by_circle"):
            await db.db.execute(f"DROP INDEX {index}")
        await db.db.execute("ANALYZE")
        report(f"/streak without circles_held ({members[0]})", *await time_streak(db, members[0], now))
    finally:
        await db.close()


async def main() -> None:
    print(f"/streak = member_streaks(): repository queries + compute_streaks, {RUNS} runs each, timezone {TZ}")
    with tempfile.TemporaryDirectory() as folder:
        circles, member = long_time_member()
        await scenario(Path(folder), "long-time member", circles, [member])
        circles, members = busy_server()
        await scenario(Path(folder), "busy server", circles, members)
        circles, member = long_time_member()
        await scenario(Path(folder), "long-time series member", circles, [member], series=True)


if __name__ == "__main__":
    asyncio.run(main())
