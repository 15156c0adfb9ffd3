"""One outgoing budget for the bot's REST calls, under Discord's documented 50 requests a second.

discord.py throttles each route by the headers Discord sends and waits out a 429 after it happens, but it does not
pace the global limit before it is hit, so 100 circles changing turns in the same second draw 429s on every call.
The pacer is a token bucket in front of every REST call the bot makes (interaction responses do not go through it:
Discord exempts them, and discord.py sends them on another path). Its bucket holds `burst` calls and refills at
`rate` a second, so no window of one second ever holds more than `burst + rate` calls. Callers are served strictly in
the order they asked (an asyncio lock wakes waiters first come, first served), so the calls of one circle, which it
makes one after the other, keep their order: a turn change's overwrite moves before its announcement. All shards of
the process share the one HTTP client, so they share this budget too.

Time here is the event loop's real clock, never the bot's injected clock: rate limits are about real seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Discord's global limit is 50 a second; 40 + 10 leaves room for interaction follow-ups that share it.
DEFAULT_RATE = 40.0
DEFAULT_BURST = 10


class RestPacer:
    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the pacer needs a positive rate and room for at least one call")
        self.rate = rate
        self.burst = burst
        self._now = now
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = now()
        self._lock = asyncio.Lock()
        self.calls = 0
        self.waited_calls = 0
        self.total_wait = 0.0
        self.longest_wait = 0.0

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self) -> float:
        """Wait for this call's turn in the budget; return how many seconds it waited."""
        asked = self._now()
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1
        waited = self._now() - asked
        self.calls += 1
        if waited > 0.0005:
            self.waited_calls += 1
            self.total_wait += waited
            self.longest_wait = max(self.longest_wait, waited)
        return waited


def paced(pacer: RestPacer, request: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """`request` (the HTTP client's own method) behind the pacer."""

    async def send(route: Any, **kwargs: Any) -> T:
        await pacer.acquire()
        return await request(route, **kwargs)

    send.__wrapped__ = request  # type: ignore[attr-defined]
    return send
