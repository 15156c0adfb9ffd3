"""How much Discord and how much time one turn change costs, and how 1,000 circles at once behave.

Part 1 drives the real bot on the offline stand-in Discord (`bot.testing.StandIn`): a strict text circle of
3, 8 and 25 participants, three rounds of one-minute turns. Round 1's turns end on their timeout, round 2's
by the holder's `/circle pass`. Each turn change's calls are counted on their own: the warning posted before
a timeout is left out (the clock is moved to one second before the end, then the call log is marked), and
the interaction reply to `/circle pass` is counted apart from the REST calls.

Part 2 has no Discord: 1,000 circles of 8 participants in a temporary SQLite file, run through the domain,
the repositories and the scheduler on a manual clock, as `cogs/circles/service.py` handles a timer: load
the row, load it again under the circle's lock, `advance`, one transaction saving the state and attendance
rows, re-arm the timer. It prints turn changes per second, the time each turn change took (timed inside the
job), memory per circle, and how long restoring all 1,000 at start-up takes. Prints figures; asserts nothing.

Run: .venv/bin/python bench/bench_circles.py
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.db.database import Database
from bot.domain import circle as rules
from bot.domain.circle import CircleSettings, CircleState, Status, TurnStarted
from bot.scheduling import Scheduler
from bot.testing import StandIn, _member, _user
from cogs.circles.service import Step, attendance_from

SIZES = (3, 8, 25)
TURN_MINUTES = 1.0
REST_ROUNDS = 3

CIRCLES = 1_000
PARTICIPANTS = 8
TURN_SECONDS = 60
WARNING_SECONDS = 20  # what `/circle open` gives a one-minute turn: min(30, 60 // 3)
ROUNDS = 2
TURN_CHANGES = 10  # per circle
START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
GUILD_ID = 1310000000000000001
INTERACTION_PREFIXES = ("/interactions/", "/webhooks/")


# Part 1: REST calls per turn change on the stand-in Discord ---------------------------------------------


def _short(method: str, path: str) -> str:
    if path.endswith("/permissions/{target}"):
        return f"{method} overwrite"
    if path.endswith("/messages/{message_id}"):
        return f"{method} card" if method == "PATCH" else f"{method} message"
    if path.endswith("/messages"):
        return f"{method} message"
    return f"{method} {path}"


class TurnCalls:
    """The REST calls of each measured turn change, within a round and where a new round opens."""

    def __init__(self) -> None:
        self.within: list[list[str]] = []
        self.new_round: list[list[str]] = []
        self.replies: list[int] = []

    def add(self, calls: list[str], *, new_round: bool) -> None:
        (self.new_round if new_round else self.within).append(calls)


async def _holder(standin: StandIn, channel_id: int) -> tuple[int | None, int]:
    assert standin.bot is not None
    row = await standin.bot.db.circles.active_in_channel(channel_id)
    assert row is not None, "the circle ended early"
    return row.state["holder"], row.state["round"]


def _split(calls: list) -> tuple[list[str], int]:
    rest = [_short(c.method, c.path) for c in calls if not c.path.startswith(INTERACTION_PREFIXES)]
    return rest, len(calls) - len(rest)


async def text_circle(size: int, folder: Path) -> tuple[TurnCalls, TurnCalls, list]:
    standin = StandIn(database_path=folder / f"text-{size}.db")
    members = standin.guild["members"]
    people = [int(m["user"]["id"]) for m in members if not m["user"]["bot"]]
    extra = 0
    while len(people) < size:
        extra += 1
        user_id = GUILD_ID + 1000 + extra
        members.append(_member(_user(user_id, f"Guest{extra:02d}")))
        people.append(user_id)
    standin.guild["member_count"] = len(members)
    participants = people[:size]
    timeout, passing = TurnCalls(), TurnCalls()
    await standin.start()
    try:
        channel_id = standin.channel_id("circle-room")
        await standin.slash("Rosa", "circle open", turn_minutes=TURN_MINUTES, rounds=REST_ROUNDS)
        for user_id in participants:
            await standin.slash(user_id, "circle join")
        await standin.slash("Rosa", "circle start")
        turn_seconds = round(TURN_MINUTES * 60)
        holder, round_ = await _holder(standin, channel_id)
        assert holder == participants[0] and round_ == 1, (holder, round_)
        # Round 1: every turn ends on its timeout, the last one opening round 2.
        for index in range(size):
            await standin.advance(turn_seconds - 1)
            mark = standin.mark()
            await standin.advance(1)
            rest, replies = _split(standin.since(mark))
            holder, round_ = await _holder(standin, channel_id)
            expected = participants[(index + 1) % size]
            assert holder == expected and round_ == 1 + (index + 1) // size, (holder, round_, expected)
            timeout.add(rest, new_round=index == size - 1)
        # Round 2: the holder passes each time, the last one opening round 3.
        for index in range(size):
            mark = standin.mark()
            await standin.slash(participants[index], "circle pass")
            rest, replies = _split(standin.since(mark))
            holder, round_ = await _holder(standin, channel_id)
            expected = participants[(index + 1) % size]
            assert holder == expected and round_ == 2 + (index + 1) // size, (holder, round_, expected)
            passing.add(rest, new_round=index == size - 1)
            passing.replies.append(replies)
    finally:
        errors = list(standin.errors)
        await standin.close()
    return timeout, passing, errors


def _figure(samples: list[list[str]]) -> str:
    counts = sorted({len(s) for s in samples})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


async def part_one(folder: Path) -> None:
    print("Part 1: REST calls per turn change, strict text circle, real bot on the offline stand-in Discord")
    shapes: set[tuple[str, ...]] = set()
    kinds: Counter[tuple[str, ...]] = Counter()
    worst = 0
    for size in SIZES:
        timeout, passing, errors = await text_circle(size, folder)
        for turns in (timeout, passing):
            worst = max([worst, *(len(s) for s in turns.within + turns.new_round)])
            kinds.update(tuple(sorted(s)) for s in turns.within + turns.new_round)
        figures = (
            _figure(timeout.within),
            _figure(timeout.new_round),
            _figure(passing.within),
            _figure(passing.new_round),
            "/".join(str(x) for x in sorted(set(passing.replies))),
        )
        shapes.add(figures)
        within, new_round, passed, passed_round, replies = figures
        print(
            f"  text circle, {size} participants: {within} REST calls per turn change (timeout); "
            f"{new_round} when it opens a new round ({len(timeout.within)} + 1 turn changes)"
        )
        print(
            f"  text circle, {size} participants: {passed} REST calls + {replies} interaction reply per turn "
            f"change (holder passes; reply not counted as REST); {passed_round} + {replies} at a new round"
        )
        if errors:
            print(f"    errors logged by the bot: {errors}")
    for calls, times in kinds.most_common():
        print(f"    {times:3d} turn changes made: {', '.join(calls)}")
    same = "the same for every size" if len(shapes) == 1 else "NOT the same for every size"
    verdict = _verdict(worst <= 4 and len(shapes) == 1)
    print(f"  at most {worst} REST calls per turn change, {same} (target: at most 4, the same: {verdict})")


# Part 2: 1,000 circles through the domain, the repositories and the scheduler ----------------------------


PHASES = ("load", "load under lock", "domain", "save transaction", "re-arm")


class Pipeline:
    """What `CircleService` does for a timer, without Discord; each job's phases are timed apart."""

    def __init__(self, db: Database, scheduler: Scheduler) -> None:
        self.db = db
        self.scheduler = scheduler
        self.locks: dict[int, asyncio.Lock] = {}
        self.turn_change_seconds: list[float] = []
        self.other_job_seconds: list[float] = []
        self.turn_change_phases = dict.fromkeys(PHASES, 0.0)
        self._phases = dict.fromkeys(PHASES, 0.0)

    def _lock(self, circle_id: int) -> asyncio.Lock:
        return self.locks.setdefault(circle_id, asyncio.Lock())

    def _tick(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self._phases[phase] += now - since
        return now

    async def load(self, circle_id: int) -> tuple[int, CircleState] | None:
        row = await self.db.circles.get(circle_id)
        if row is None:
            return None
        return row.guild_id, CircleState.from_json(row.state)

    async def persist(self, circle_id: int, guild_id: int, before: CircleState, tr: rules.Transition) -> None:
        mark = time.perf_counter()
        now = self.scheduler.clock.now()
        state = tr.state
        ended = state.status == Status.ENDED
        events = attendance_from(circle_id, before, tr, now)
        async with self.db.transaction():
            await self.db.circles.save(
                circle_id,
                status=state.status.value,
                state=state.to_json(),
                next_deadline=rules.next_deadline(state),
                ended_at=now if ended else None,
            )
            await self.db.attendance.record_many(guild_id, events)
        mark = self._tick("save transaction", mark)
        self.arm(circle_id, state)
        self._tick("re-arm", mark)

    def arm(self, circle_id: int, state: CircleState) -> None:
        deadline = rules.next_deadline(state)
        job = f"circle:{circle_id}"
        if deadline is None:
            self.scheduler.cancel(job)
        else:
            self.scheduler.schedule(job, deadline, self.on_timer, circle_id)

    async def change(self, circle_id: int, step: Step) -> rules.Transition:
        async with self._lock(circle_id):
            mark = time.perf_counter()
            fresh = await self.load(circle_id)
            assert fresh is not None
            mark = self._tick("load under lock", mark)
            guild_id, before = fresh
            tr = step(before, self.scheduler.clock.now())
            self._tick("domain", mark)
            await self.persist(circle_id, guild_id, before, tr)
            return tr

    async def on_timer(self, circle_id: int) -> None:
        self._phases = dict.fromkeys(PHASES, 0.0)
        started = time.perf_counter()
        loaded = await self.load(circle_id)
        self._tick("load", started)
        if loaded is None or loaded[1].status == Status.ENDED:
            return
        tr = await self.change(circle_id, rules.advance)
        took = time.perf_counter() - started
        if any(isinstance(e, TurnStarted) for e in tr.effects):
            self.turn_change_seconds.append(took)
            for phase, seconds in self._phases.items():
                self.turn_change_phases[phase] += seconds
        else:
            self.other_job_seconds.append(took)


async def create_circles(db: Database, pipeline: Pipeline) -> None:
    settings = CircleSettings(turn_seconds=TURN_SECONDS, rounds=ROUNDS, warning_seconds=WARNING_SECONDS)
    for index in range(CIRCLES):
        guild_id = GUILD_ID + 10_000 * (index % 50)
        channel_id = GUILD_ID + 1_000_000 + index
        # Circles start spread over half a turn, as they would in real life.
        started = START + timedelta(seconds=TURN_SECONDS / 2 * index / CIRCLES)
        state = rules.open_circle(settings)
        circle_id = await db.circles.create(
            guild_id=guild_id,
            channel_id=channel_id,
            channel_kind="text",
            status=state.status.value,
            state=state.to_json(),
            facilitator_user_id=GUILD_ID + 2,
            now=started,
        )
        before = state
        effects: list = []
        for person in range(PARTICIPANTS):
            tr = rules.join(state, GUILD_ID + 2_000_000 + index * 10 + person, started)
            effects.extend(tr.effects)
            state = tr.state
        tr = rules.start(state, started)
        combined = rules.Transition(tr.state, (*effects, *tr.effects))
        async with db.transaction():
            await db.circles.save(
                circle_id,
                status=tr.state.status.value,
                state=tr.state.to_json(),
                next_deadline=rules.next_deadline(tr.state),
            )
            await db.attendance.record_many(guild_id, attendance_from(circle_id, before, combined, started))
        pipeline.arm(circle_id, tr.state)


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def restore(path: Path, clock: ManualClock, *, save_each: bool) -> tuple[float, int, int]:
    """Start-up: open the file, load every active circle, catch it up with `advance(now)`, arm its timer."""
    started = time.perf_counter()
    db = await Database.open(path)
    scheduler = Scheduler(clock)
    try:
        await db.migrate()
        scheduler.start()
        pipeline = Pipeline(db, scheduler)
        rows = await db.circles.active()
        for row in rows:
            state = CircleState.from_json(row.state)
            if save_each:
                # As `CircleService.restore_all` does it: `change(loaded, rules.advance)`, saving each circle.
                await pipeline.change(row.id, rules.advance)
            else:
                pipeline.arm(row.id, rules.advance(state, clock.now()).state)
        took = time.perf_counter() - started
        return took, len(rows), len(scheduler.job_ids())
    finally:
        await scheduler.shutdown()
        await db.close()


async def memory_per_circle(path: Path, clock: ManualClock) -> tuple[float, float, float]:
    """Traced Python memory held per circle: its loaded CircleState, and its timer (job, lock, index)."""
    db = await Database.open(path)
    scheduler = Scheduler(clock)
    try:
        scheduler.start()
        pipeline = Pipeline(db, scheduler)
        saved = [(row.id, row.channel_id, json.dumps(row.state)) for row in await db.circles.active()]
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        states = {circle_id: CircleState.from_json(json.loads(text)) for circle_id, _, text in saved}
        gc.collect()
        after_states = tracemalloc.get_traced_memory()[0]
        channels: dict[int, int] = {}
        for circle_id, channel_id, _ in saved:
            pipeline.arm(circle_id, states[circle_id])
            pipeline._lock(circle_id)
            channels[channel_id] = circle_id
        gc.collect()
        after_timers = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        await scheduler.shutdown()
        await db.close()
    count = len(saved)
    json_bytes = sum(len(json.dumps(json.loads(text), separators=(",", ":"))) for _, _, text in saved) / count
    return (after_states - base) / count, (after_timers - after_states) / count, json_bytes


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def drive_circles(path: Path, clock: ManualClock) -> None:
    db = await Database.open(path)
    scheduler = Scheduler(clock)
    try:
        await db.migrate()
        scheduler.start()
        pipeline = Pipeline(db, scheduler)
        setup = time.perf_counter()
        await create_circles(db, pipeline)
        setup = time.perf_counter() - setup
        print(f"  set-up: {CIRCLES:,} circles created, joined and started in {setup:.2f} s")
        # Every circle started within half a turn: stop before anyone's 11th turn change.
        horizon = TURN_CHANGES * TURN_SECONDS + TURN_SECONDS * 3 / 4
        drive = time.perf_counter()
        await scheduler.advance(horizon)
        drive = time.perf_counter() - drive
        changes, others = pipeline.turn_change_seconds, pipeline.other_job_seconds
        timers = len(changes) + len(others)
        rate = len(changes) / drive
        p50, p99 = _percentile(changes, 0.5), _percentile(changes, 0.99)
        print(
            f"  {CIRCLES:,} circles x {PARTICIPANTS}: {rate:,.0f} turn changes/s "
            f"({len(changes):,} turn changes + {len(others):,} warning timers in {drive:.2f} s, "
            f"{timers / drive:,.0f} timers/s; "
            f"target: at least 1,000: {_verdict(rate >= 1000)})"
        )
        print(
            f"  time per turn change: p50 {_ms(p50)}, p99 {_ms(p99)}, max {_ms(max(changes))}, "
            f"mean {_ms(statistics.fmean(changes))} (target: p99 under 5 ms: {_verdict(p99 < 0.005)})"
        )
        split = ", ".join(
            f"{phase} {_ms(seconds / len(changes))}" for phase, seconds in pipeline.turn_change_phases.items()
        )
        print(f"    mean per turn change by phase: {split}")
        outside = (drive - sum(changes) - sum(others)) / timers
        print(
            f"    plus {_ms(outside)} per timer in Scheduler.advance itself, outside the job "
            f"(it lists and scans all {CIRCLES:,} jobs to pick each next one)"
        )
        done = Counter(
            len(r.state["spoken"]) + PARTICIPANTS * (r.state["round"] - 1) for r in await db.circles.active()
        )
        print(f"    check: turns completed per circle -> number of circles: {dict(sorted(done.items()))}")
    finally:
        await scheduler.shutdown()
        await db.close()


async def part_two(folder: Path) -> None:
    print(
        f"Part 2: {CIRCLES:,} circles x {PARTICIPANTS} participants through domain + SQLite repositories + "
        f"scheduler on a manual clock"
    )
    print(
        f"  ({TURN_SECONDS} s turns, warning {WARNING_SECONDS} s before the end, {TURN_CHANGES} turn changes "
        f"per circle; a timer job: load, load under lock, advance, save + attendance in one transaction, "
        f"re-arm)"
    )
    path = folder / "circles.db"
    rss_before = _rss_mib()
    clock = ManualClock(START)
    await drive_circles(path, clock)

    # Start-up after a 5-second restart: some timers fell due while the bot was down.
    clock.advance(5)
    took, count, armed = await restore(path, clock, save_each=False)
    print(
        f"  restore at start-up: {count:,} circles in {took * 1000:.0f} ms (open + migrate, "
        f"circles.active(), from_json, advance(now), arm {armed:,} timers; "
        f"target: under 1 s: {_verdict(took < 1)})"
    )
    clock.advance(5)
    took, count, armed = await restore(path, clock, save_each=True)
    print(
        f"    the same as CircleService.restore_all does it, minus Discord (each circle loaded again and "
        f"saved in its own transaction): {took * 1000:.0f} ms"
    )

    states, timers, row_bytes = await memory_per_circle(path, clock)
    rss_after = _rss_mib()
    print(
        f"  memory per circle: {(states + timers) / 1024:.1f} KiB = {states / 1024:.1f} KiB loaded "
        f"CircleState + {timers / 1024:.1f} KiB timer (APScheduler job, lock, channel index) (tracemalloc)"
    )
    print(
        f"    between events the bot holds only the timer part; saved state JSON {row_bytes:,.0f} bytes; "
        f"process RSS {rss_before:.0f} MiB before part 2, {rss_after:.0f} MiB after"
    )


async def main() -> None:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-circles-") as tmp:
        folder = Path(tmp)
        await part_one(folder)
        await part_two(folder)
    print(f"(whole run: {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    asyncio.run(main())
