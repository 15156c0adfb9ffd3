"""A small table held in memory by the repository that writes it, so the message path reads no database.

The tables kept this way hold one row per server (or per member) that changed a default, so all of them fit in
memory: the whole table is read on first use, and a key with no row means the defaults. Every write marks its key
stale once the write is done; the next read of that key reads its row again. A generation number per key makes
that safe when a read and a write of the same key overlap: a read that began before a write never stores what it
saw. Marking instead of storing the written value also keeps the memory right when the write's transaction is
rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TableMemo(Generic[K, V]):
    def __init__(
        self,
        load_all: Callable[[], Awaitable[dict[K, V]]],
        load_one: Callable[[K], Awaitable[V | None]],
    ) -> None:
        self._load_all = load_all
        self._load_one = load_one
        self._rows: dict[K, V] | None = None
        self._stale: set[K] = set()
        self._generation: dict[K, int] = {}
        self.reads = 0
        """How many times the database was read (for tests and benchmarks)."""

    async def get(self, key: K) -> V | None:
        """The key's row, or None when it has none (the defaults)."""
        if self._rows is None:
            # Writes made while the table loads stay marked stale, so their keys are read again below.
            self.reads += 1
            rows = await self._load_all()
            if self._rows is None:
                self._rows = rows
        if key in self._stale:
            generation = self._generation.get(key, 0)
            self.reads += 1
            row = await self._load_one(key)
            if self._generation.get(key, 0) == generation:
                self._stale.discard(key)
                if row is None:
                    self._rows.pop(key, None)
                else:
                    self._rows[key] = row
            return row
        return self._rows.get(key)

    def stale(self, key: K) -> None:
        """A write to this key is done (or was attempted): read its row again next time."""
        self._generation[key] = self._generation.get(key, 0) + 1
        self._stale.add(key)

    def stale_where(self, matches: Callable[[K], bool]) -> None:
        """Mark every key held in memory that `matches` stale (a delete over many keys)."""
        for key in list(self._rows or ()):
            if matches(key):
                self.stale(key)
