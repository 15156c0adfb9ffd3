"""How much Discord and how much time one turn change costs, and how 1,000 circles at once behave.

Part 1 drives the real bot on the offline stand-in Discord (`bot.testing.StandIn`): a strict text circle of
3, 8 and 25 participants, three rounds of one-minute turns. Round 1's turns end on their timeout, round 2's
by the holder's `/circle pass`. Each turn change's calls are counted on their own: the warning posted before
a timeout is left out (the clock is moved to one second before the end, then the call log is marked), and
the interaction reply to `/circle pass` is counted apart from the REST calls.

Part 1b does the same for voice and stage circles of 3, 8 and 25 people present: the server-mute calls (voice)
and stage suppress calls of each turn change that ends on its timeout.

Part 2 has no Discord: 1,000 circles of 8 participants in a temporary SQLite file, run through the domain,
the repositories and the scheduler on a manual clock, with the code `cogs/circles/shell.py` runs for a
timer (`bot.circle_keeper.CircleKeeper`): under the circle's lock, its state from the keeper's cache,
`advance`, one transaction saving the state and attendance rows, re-arm the timer. It prints turn changes
per second, the time each turn change took (timed inside the job), memory per circle, and how long
restoring all 1,000 at start-up takes. Prints figures; asserts nothing.

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

from bot.circle_keeper import CircleKeeper, attendance_from
from bot.clock import ManualClock
from bot.db.store import Store
from bot.domain import circle
from bot.domain.circle import CircleSettings, CircleState, TurnStarted
from bot.scheduling import Scheduler
from bot.testing import StandIn, _member, _user

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
    if path.endswith("/members/{user_id}"):
        return "mute/unmute"
    if path.endswith("/voice-states/{user_id}"):
        return "stage suppress"
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
    row = await standin.bot.store.circles.active_in_channel(channel_id)
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


async def voice_circle(kind: str, size: int, folder: Path) -> tuple[list[list[str]], list]:
    """REST calls of each timed-out turn change in a voice or stage circle of `size` people present."""
    standin = StandIn(database_path=folder / f"{kind}-{size}.db")
    members = standin.guild["members"]
    people = [int(m["user"]["id"]) for m in members if not m["user"]["bot"]][1:]  # Rosa facilitates
    extra = 0
    while len(people) < size:
        extra += 1
        user_id = GUILD_ID + 2000 + extra
        members.append(_member(_user(user_id, f"Guest{extra:02d}")))
        people.append(user_id)
    standin.guild["member_count"] = len(members)
    channel = "Circle Voice" if kind == "voice" else "Circle Stage"
    turns: list[list[str]] = []
    await standin.start()
    try:
        for user_id in people[:size]:
            await standin.voice(user_id, channel)
        await standin.slash("Rosa", "circle open", channel=channel, turn_minutes=TURN_MINUTES, rounds=2)
        await standin.slash("Rosa", "circle start", channel=channel)
        for _ in range(size):
            await standin.advance(round(TURN_MINUTES * 60) - 1)
            mark = standin.mark()
            await standin.advance(1)
            turns.append(
                [
                    _short(c.method, c.path)
                    for c in standin.since(mark)
                    if c.path.endswith(("/members/{user_id}", "/voice-states/{user_id}"))
                ]
            )
    finally:
        errors = list(standin.errors)
        await standin.close()
    return turns, errors


async def part_voice(folder: Path) -> None:
    print("Part 1b: mute and stage calls per turn change, voice and stage circles on the offline stand-in Discord")
    for kind, target in (("voice", 2), ("stage", 2)):
        worst, shapes = 0, set()
        for size in SIZES:
            turns, errors = await voice_circle(kind, size, folder)
            counts = sorted({len(t) for t in turns})
            shapes.add(tuple(counts))
            worst = max(worst, *counts)
            names = Counter(name for t in turns for name in t)
            print(
                f"  {kind} circle, {size} people present: {_figure(turns)} calls per turn change "
                f"({len(turns)} turn changes; {', '.join(f'{n} x{c}' for n, c in sorted(names.items()))})"
            )
            if errors:
                print(f"    errors logged by the bot: {errors}")
        same = "the same for every size" if len(shapes) == 1 else "NOT the same for every size"
        verdict = _verdict(worst <= target and len(shapes) == 1)
        print(
            f"  {kind}: at most {worst} calls per turn change, {same} (target: at most {target}, the same: {verdict})"
        )


# Part 2: 1,000 circles through the domain, the repositories and the scheduler ----------------------------


class Pipeline:
    """What `CircleShell` does for a timer, minus Discord: the same `CircleKeeper` under the circle's lock."""

    def __init__(self, db: Store, scheduler: Scheduler) -> None:
        self.keeper = CircleKeeper(db, scheduler, self.on_timer)
        self.clock = scheduler.clock
        self.turn_change_seconds: list[float] = []
        self.other_job_seconds: list[float] = []

    def arm(self, circle_id: int, state: CircleState) -> None:
        self.keeper.arm(circle_id, state)

    async def on_timer(self, circle_id: int) -> None:
        started = time.perf_counter()
        async with self.keeper.lock(circle_id):
            done = await self.keeper.step(circle_id, circle.advance, self.clock.now())
        took = time.perf_counter() - started
        if done is None:
            return
        if any(isinstance(e, TurnStarted) for e in done[1].effects):
            self.turn_change_seconds.append(took)
        else:
            self.other_job_seconds.append(took)


async def create_circles(db: Store, pipeline: Pipeline) -> None:
    settings = CircleSettings(turn_seconds=TURN_SECONDS, rounds=ROUNDS, warning_seconds=WARNING_SECONDS)
    for index in range(CIRCLES):
        guild_id = GUILD_ID + 10_000 * (index % 50)
        channel_id = GUILD_ID + 1_000_000 + index
        # Circles start spread over half a turn, as they would in real life.
        started = START + timedelta(seconds=TURN_SECONDS / 2 * index / CIRCLES)
        state = circle.open_circle(settings)
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
            tr = circle.join(state, GUILD_ID + 2_000_000 + index * 10 + person, started)
            effects.extend(tr.effects)
            state = tr.state
        tr = circle.start(state, started)
        combined = circle.Transition(tr.state, (*effects, *tr.effects))
        async with db.db.transaction():
            await db.circles.save(
                circle_id,
                status=tr.state.status.value,
                state=tr.state.to_json(),
                next_deadline=circle.next_deadline(tr.state),
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


async def restore(path: Path, clock: ManualClock) -> tuple[float, int, int]:
    """Start-up as `CircleShell.restore_all` does it, minus Discord: open, migrate, catch up, save, arm."""
    started = time.perf_counter()
    db = await Store.open(path)
    scheduler = Scheduler(clock)
    try:
        scheduler.start()
        pipeline = Pipeline(db, scheduler)
        caught_up = await pipeline.keeper.restore(lambda row: circle.advance, clock.now())
        took = time.perf_counter() - started
        return took, len(caught_up), len(scheduler.job_ids())
    finally:
        await scheduler.shutdown()
        await db.close()


async def memory_per_circle(path: Path, clock: ManualClock) -> tuple[float, float, float]:
    """Traced Python memory held per circle: its loaded CircleState, and its timer (job, lock, index)."""
    db = await Store.open(path)
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
        for circle_id, channel_id, _ in saved:
            pipeline.arm(circle_id, states[circle_id])
            pipeline.keeper.lock(circle_id)
            pipeline.keeper.opened(circle_id, channel_id)  # the keeper's "active circle by channel" index
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
    db = await Store.open(path)
    scheduler = Scheduler(clock)
    try:
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
        outside = (drive - sum(changes) - sum(others)) / timers
        print(f"    plus {_ms(outside)} per timer in Scheduler.advance itself, outside the job")
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
        f"per circle; a timer job is CircleKeeper.step under the circle's lock: cached state, advance, save state + "
        f"attendance in one transaction, re-arm)"
    )
    path = folder / "circles.db"
    rss_before = _rss_mib()
    clock = ManualClock(START)
    await drive_circles(path, clock)

    # Start-up after a 5-second restart: some timers fell due while the bot was down.
    clock.advance(5)
    took, count, armed = await restore(path, clock)
    print(
        f"  restore at start-up: {count:,} circles in {took * 1000:.0f} ms (open + migrate, load all, "
        f"advance(now), save all in one transaction, arm {armed:,} timers: CircleKeeper.restore, as "
        f"CircleShell.restore_all does before it touches Discord; target: under 1 s: {_verdict(took < 1)})"
    )

    states, timers, row_bytes = await memory_per_circle(path, clock)
    rss_after = _rss_mib()
    print(
        f"  memory per circle: {(states + timers) / 1024:.1f} KiB = {states / 1024:.1f} KiB loaded "
        f"CircleState + {timers / 1024:.1f} KiB timer (APScheduler job, lock, channel index) (tracemalloc)"
    )
    print(
        f"    between events the bot holds both (the keeper caches each active circle's state); state JSON "
        f"{row_bytes:,.0f} bytes; "
        f"process RSS {rss_before:.0f} MiB before part 2, {rss_after:.0f} MiB after"
    )


async def main() -> None:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-circles-") as tmp:
        folder = Path(tmp)
        await part_one(folder)
        await part_voice(folder)
        await part_two(folder)
    print(f"(whole run: {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    asyncio.run(main())
