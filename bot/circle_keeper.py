"""The part of running a circle that needs no Discord: load its state, take a step, save it, arm its timer.

`cogs/circles/shell.py` wraps every change in this and then makes Discord match; `bench/bench_circles.py`
drives the same code with no Discord at all, so the figures it prints are the bot's own.

A timer job is one write: the new state plus its attendance rows, as one transaction in one hop to the database
thread. The keeper is the only writer of a circle's row, so it keeps each active circle's last saved state in
memory (write-through) and reads the database only for a circle it has not seen since start-up.

It also keeps the one index of active circles by channel that every feature asks ("is a circle running here?",
`active_in`): filled at start-up by `restore`, kept by `opened` and by every change that ends a circle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.db.database import Statement
from bot.db.repos.attendance import AttendanceEvent
from bot.db.repos.circles import CircleRow
from bot.db.store import Store
from bot.domain import circle
from bot.domain.circle import CircleState, Status, Transition
from bot.scheduling import Scheduler

log = logging.getLogger(__name__)

Step = Callable[[CircleState, datetime], Transition]


@dataclass(slots=True)
class Loaded:
    row: CircleRow
    state: CircleState


def attendance_from(circle_id: int, before: CircleState, tr: Transition, now: datetime) -> list[AttendanceEvent]:
    """The attendance rows a transition earns: joined, left, took a turn, passed, skipped."""
    events: list[AttendanceEvent] = []
    round_ = before.round
    for effect in tr.effects:
        if isinstance(effect, circle.RoundOpened):
            round_ = effect.round
        elif isinstance(effect, circle.MemberJoined):
            events.append(AttendanceEvent(circle_id, effect.user_id, "joined", round_, now))
        elif isinstance(effect, circle.MemberLeft):
            events.append(AttendanceEvent(circle_id, effect.user_id, "left", round_, now))
        elif isinstance(effect, circle.TurnPassed):
            events.append(AttendanceEvent(circle_id, effect.user_id, "passed", round_, now))
        elif isinstance(effect, circle.TurnEnded) and effect.reason in _TURN_ENDINGS:
            events.append(AttendanceEvent(circle_id, effect.holder, _TURN_ENDINGS[effect.reason], round_, now))
    return events


_TURN_ENDINGS = {"finished": "took_turn", "timed_out": "took_turn", "passed": "passed", "skipped": "skipped"}


class CircleKeeper:
    """Loads, steps, persists and arms circles; one lock per circle so a timer and a button never interleave."""

    def __init__(self, store: Store, scheduler: Scheduler, on_due: Callable[[int], Awaitable[None]]) -> None:
        self.store = store
        self.scheduler = scheduler
        self._on_due = on_due
        self._locks: dict[int, asyncio.Lock] = {}
        self._known: dict[int, Loaded] = {}
        self._by_channel: dict[int, int] = {}
        # Which servers `restore` has covered (each shard restores its own servers when it is ready).
        self._restored_for: list[Callable[[int], bool]] = []
        # Circles whose saved state could not be read at the last restore: ended there, for the shell to report.
        self.unreadable: list[CircleRow] = []

    def lock(self, circle_id: int) -> asyncio.Lock:
        return self._locks.setdefault(circle_id, asyncio.Lock())

    def active_in(self, channel_id: int) -> int | None:
        """The id of the circle running in the channel, from memory (no database read), or None."""
        return self._by_channel.get(channel_id)

    def opened(self, circle_id: int, channel_id: int) -> None:
        """A circle was opened in the channel (its row is written)."""
        self._by_channel[channel_id] = circle_id

    def closed(self, circle_id: int, channel_id: int) -> None:
        """A circle ended without a step (its card could not even be posted): forget it."""
        if self._by_channel.get(channel_id) == circle_id:
            del self._by_channel[channel_id]
        self._known.pop(circle_id, None)
        self._locks.pop(circle_id, None)

    async def load(self, circle_id: int) -> Loaded | None:
        known = self._known.get(circle_id)
        if known is not None:
            return known
        row = await self.store.circles.get(circle_id)
        if row is None:
            return None
        loaded = Loaded(row, CircleState.from_json(row.state))
        if loaded.state.status != Status.ENDED:
            self._known[circle_id] = loaded
            self._by_channel.setdefault(row.channel_id, circle_id)
        return loaded

    async def set_card(self, circle_id: int, message_id: int) -> None:
        await self.store.circles.set_card(circle_id, message_id)
        known = self._known.get(circle_id)
        if known is not None:
            self._known[circle_id] = Loaded(replace(known.row, card_message_id=message_id), known.state)

    async def step(self, circle_id: int, step: Step, now: datetime) -> tuple[Loaded, Transition] | None:
        """Load the circle, run `step`, save the result and arm its timer. Call it holding `lock(circle_id)`.

        Returns the circle as it was before with the transition, or None when the circle is gone or has ended.
        """
        loaded = await self.load(circle_id)
        if loaded is None or loaded.state.status == Status.ENDED:
            return None
        tr = step(loaded.state, now)
        await self.persist(loaded, tr, now)
        return loaded, tr

    def writes_for(self, loaded: Loaded, tr: Transition, now: datetime) -> tuple[list[Statement], Loaded]:
        """The writes that save a transition, and the circle as it will be once they are done.

        The writes are the circle's new state and the attendance rows the transition earned.
        """
        state = tr.state
        saved = state.to_json()
        deadline = circle.next_deadline(state)
        writes = [
            self.store.circles.save_statement(
                loaded.row.id,
                status=state.status.value,
                state=saved,
                next_deadline=deadline,
                ended_at=now if state.status == Status.ENDED else None,
            )
        ]
        attendance = self.store.attendance.record_statement(
            loaded.row.guild_id, attendance_from(loaded.row.id, loaded.state, tr, now)
        )
        if attendance is not None:
            writes.append(attendance)
        after = Loaded(replace(loaded.row, status=state.status.value, state=saved, next_deadline=deadline), state)
        return writes, after

    async def persist(self, loaded: Loaded, tr: Transition, now: datetime) -> None:
        writes, after = self.writes_for(loaded, tr, now)
        try:
            await self.store.db.batch(writes)
        except BaseException:
            self._known.pop(loaded.row.id, None)
            raise
        self._settled(after)

    def restored(self, guild_id: int) -> bool:
        """Whether `restore` has run for this server, so the channel index holds every active circle there."""
        return any(covers(guild_id) for covers in self._restored_for)

    async def restore(
        self,
        choose: Callable[[CircleRow], Step],
        now: datetime,
        *,
        guilds: Callable[[int], bool] | None = None,
    ) -> list[tuple[Loaded, Transition]]:
        """At start-up: step every active circle (`choose` picks the step for each), save all in one transaction.

        Time spent while the bot was down counts: `circle.advance` passes on any turn that ran out meanwhile.
        `guilds` picks the servers to restore (a shard restores its own); by default, all of them.

        It holds every restored circle's lock from the read to the write: a shard's servers send events before the
        shard is ready, so a command may reach one of its circles meanwhile. For a circle such a command already
        loaded, the restore starts from the state in memory, which is newer than the row read here.
        """
        covers = guilds or (lambda _guild_id: True)
        done: list[tuple[Loaded, Transition]] = []
        writes: list[Statement] = []
        settled: list[Loaded] = []
        rows = [row for row in await self.store.circles.active() if covers(row.guild_id)]
        async with contextlib.AsyncExitStack() as held:
            for row in rows:
                await held.enter_async_context(self.lock(row.id))
            for row in rows:
                # A command that loaded (and perhaps stepped) it while the rows were read left it in memory, newer.
                try:
                    loaded = self._known.get(row.id) or Loaded(row, CircleState.from_json(row.state))
                    tr = choose(row)(loaded.state, now)
                except Exception:  # one damaged row must not stop every other circle from coming back
                    log.warning("circle %s: its saved state can't be read; ending it", row.id, exc_info=True)
                    self.unreadable.append(row)
                    writes.append(
                        self.store.circles.save_statement(
                            row.id, status=Status.ENDED.value, state=row.state, next_deadline=None, ended_at=now
                        )
                    )
                    continue
                circle_writes, after = self.writes_for(loaded, tr, now)
                writes.extend(circle_writes)
                settled.append(after)
                done.append((loaded, tr))
            await self.store.db.batch(writes)
            for after in settled:
                self._settled(after)
            self._restored_for.append(covers)
        return done

    def _settled(self, after: Loaded) -> None:
        circle_id = after.row.id
        self.arm(circle_id, after.state)
        if after.state.status == Status.ENDED:
            self.closed(circle_id, after.row.channel_id)
        else:
            self._known[circle_id] = after
            self._by_channel[after.row.channel_id] = circle_id

    def arm(self, circle_id: int, state: CircleState) -> None:
        deadline = circle.next_deadline(state)
        job = f"circle:{circle_id}"
        if deadline is None:
            self.scheduler.cancel(job)
        else:
            self.scheduler.schedule(job, deadline, self._on_due, circle_id)
