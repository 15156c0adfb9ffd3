"""The one message path (`cogs/messages`) on one core: messages per second, and database queries per message.

A server with 1,000 running gentle-mode circles (restored from the database at start-up, as after a restart) and
a general channel, 50 filter phrases and the crisis screen in its default scope (channels with a circle). The chat
is realistic: most messages in #general, the rest in circle channels by the person holding the stick; 1 in 500
matches a filter (an alert case: a database write) and 1 in 1,000 is a message the screen flags (a check-in).
Each message is a real `discord.Message` built by discord.py from a MESSAGE_CREATE payload, handed to the bot's
one `on_message` (the cog's listener itself, so discord.py's task per event is left out: that cost is the
library's, not the bot's path). Database queries are counted at `Database` for 1,000 ordinary messages (neither
filtered nor flagged: nothing to act on).

Also printed: the same messages through discord.py's own gateway parser and dispatch (`MESSAGE_CREATE`), for
scale. Prints figures; asserts nothing.

Run: .venv/bin/python bench/bench_messages.py
"""

from __future__ import annotations

import asyncio
import copy
import gc
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import discord

from bot.db.database import Database
from bot.domain.circle import CircleSettings, Enforcement, join, open_circle, start
from bot.testing import StandIn
from bot.testing.crowds import crowded_guild

CIRCLES = 1_000
MESSAGES = 20_000
ROUNDS = 5
FILTER_WORDS = [f"blorp{a}{b}" for a in "abcde" for b in "fghijklmno"]  # 50 phrases no chat line contains
CHAT = [
    "thanks everyone for being here tonight",
    "i had a long week but i'm glad i came",
    "does anyone know when the next grief circle is?",
    "that really resonated with me, thank you for sharing",
    "haha same, my cat does that too",
    "good morning all ☀️",
    "I've been trying the breathing exercise from last week and it helps",
    "can't make it on thursday, sorry",
    "sending hugs 💙",
    "¿alguien más aquí habla español?",
    "Merci pour ce moment, ça fait du bien.",
    "it's been a year since my mum passed and some days are still hard",
]
FLAGGED = "i want to die"


def count_queries(db: Database) -> list[int]:
    """Count every statement the database runs, from here on."""
    counter = [0]
    for name in ("fetchone", "fetchall", "execute", "execute_rowcount", "batch"):
        original = getattr(db, name)

        def counting(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            counter[0] += 1
            return _original(*args, **kwargs)

        setattr(db, name, counting)
    return counter


async def seed_circles(s: StandIn) -> None:
    """1,000 running gentle circles written straight to the database, then a restart restores them."""
    assert s.bot is not None
    now = s.clock.now()
    people = [s.user_id(name) for name in ("Ken", "Mia", "Lu")]
    for number in range(1, CIRCLES + 1):
        state = open_circle(CircleSettings(turn_seconds=3600, enforcement=Enforcement.GENTLE))
        for user_id in people:
            state = join(state, user_id, now).state
        state = start(state, now).state
        await s.bot.store.circles.create(
            guild_id=s.guild_id,
            channel_id=s.channel_id(f"circle-{number}"),
            channel_kind="text",
            status=state.status.value,
            state=state.to_json(),
            facilitator_user_id=s.user_id("Rosa"),
            now=now,
        )
    for word in FILTER_WORDS:
        await s.slash("Rosa", "filter add", "general", kind="phrase", text=word, action="alert", scope="server")
    await s.restart()


def payloads(s: StandIn, count: int, rng: random.Random) -> list[dict[str, Any]]:
    general = s.channel_id("general")
    ken = s.user_id("Ken")
    out = []
    for n in range(count):
        if n % 1000 == 7:
            text = FLAGGED
        elif n % 500 == 3:
            text = f"this is a {rng.choice(FILTER_WORDS)} thing to say"
        else:
            text = rng.choice(CHAT)
        in_circle = rng.random() < 0.3 or text == FLAGGED
        channel = s.channel_id(f"circle-{rng.randint(1, CIRCLES)}") if in_circle else general
        out.append(s.message_payload(ken, channel, text))
    return out


def ordinary(payload: dict[str, Any]) -> bool:
    return payload["content"] != FLAGGED and "blorp" not in payload["content"]


async def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        s = StandIn(database_path=Path(folder) / "bot.db", guild=crowded_guild(CIRCLES))
        await s.start()
        try:
            began = time.perf_counter()
            await seed_circles(s)
            bot = s.bot
            assert bot is not None
            active = sum(
                1 for n in range(1, CIRCLES + 1) if bot.features.circles.active_circle_in(s.channel_id(f"circle-{n}"))
            )
            print(
                f"set-up: {active:,} running circles restored from the database in {time.perf_counter() - began:.1f} s"
            )
            cog: Any = bot.get_cog("Messages")
            state = bot._connection
            data = payloads(s, MESSAGES, rng)

            def build(payload: dict[str, Any]) -> discord.Message:
                channel = bot.get_channel(int(payload["channel_id"]))
                return discord.Message(state=state, channel=channel, data=payload)  # type: ignore[arg-type]

            messages = [build(p) for p in data]
            # Warm-up: the first message of a server loads its settings and compiles its filters, once.
            for message in messages[:200]:
                await cog.on_message(message)
            await s.settle()

            queries = count_queries(bot.db)
            plain = [m for m, p in zip(messages, data, strict=True) if ordinary(p)]
            for message in plain[:1000]:
                await cog.on_message(message)
            plain_queries = queries[0]
            started = time.perf_counter()
            for message in plain:
                await cog.on_message(message)
            plain_rate = len(plain) / (time.perf_counter() - started)

            gc.collect()
            gc.freeze()  # as the real process does after start-up (bot/runner.py)
            rates = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                for message in messages:
                    await cog.on_message(message)
                rates.append(len(messages) / (time.perf_counter() - started))
                await s.settle()  # the check-ins and filter alerts the flagged and filtered messages caused
            flagged = sum(1 for p in data if p["content"] == FLAGGED)
            filtered = sum(1 for p in data if "blorp" in p["content"])
            in_circles = sum(1 for p in data if p["channel_id"] != str(s.channel_id("general")))
            print(
                f"chat: {len(messages):,} messages, {in_circles:,} in circle channels, {filtered:,} filtered, "
                f"{flagged:,} flagged by the screen"
            )
            print(
                f"message path, one core: {statistics.median(rates):,.0f} messages/s "
                f"(median of {ROUNDS} rounds; best {max(rates):,.0f}; target 40,000)"
            )
            print(f"  ordinary messages alone (nothing to act on): {plain_rate:,.0f} messages/s")
            print(f"database queries per 1,000 ordinary messages: {plain_queries} (target 0)")

            parsed_rates = []
            parser = state.parsers["MESSAGE_CREATE"]
            for _ in range(2):
                started = time.perf_counter()
                for payload in data:
                    parser(copy.copy(payload))
                await s.settle()
                parsed_rates.append(len(data) / (time.perf_counter() - started))
            print(
                f"for scale, through discord.py's parser and dispatch (a task per event): "
                f"{statistics.median(parsed_rates):,.0f} messages/s"
            )
            gc.unfreeze()
        finally:
            await s.close()


if __name__ == "__main__":
    asyncio.run(main())
