"""Prompt tables on the real migrations: server prompts, depth, draw history, round prompts, schedules.

The service's draws are exercised here too, on a database file that is closed and opened again, to show the
"no repeat until the deck is used up" record and the round prompts survive a restart.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.db.store import Store
from bot.domain.circle import CircleSettings, open_circle
from bot.domain.prompts import Depth, Prompt, ServerPromptDraft, load_decks
from bot.domain.recurrence import Recurrence
from cogs.prompts.service import PROMPTS_DIR, PromptService

GUILD = 1310000000000000001
OTHER_GUILD = 1310000000000000777
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
DECKS = load_decks(PROMPTS_DIR)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "bot.db")
    try:
        yield store
    finally:
        await store.close()


def service_on(database: Store, seed: int) -> PromptService:
    # Drawing needs only the database and the clock; the rest of the bot is not involved.
    bot: Any = SimpleNamespace(store=database, db=database.db, clock=ManualClock(NOW))
    return PromptService(bot, DECKS, random.Random(seed))


async def make_circle(database: Store, channel_id: int = 42, rounds: int = 3) -> int:
    state = open_circle(CircleSettings(rounds=rounds))
    return await database.circles.create(
        guild_id=GUILD,
        channel_id=channel_id,
        channel_kind="text",
        status=state.status.value,
        state=state.to_json(),
        facilitator_user_id=None,
        now=NOW,
    )


def draft(
    text: str = "What is a small thing that went well for you today?", deck: str = "check-in"
) -> ServerPromptDraft:
    return ServerPromptDraft(deck=deck, text=text, depth=Depth.LIGHT, content_note=None)


async def test_server_prompts_belong_to_their_server_only(db: Store) -> None:
    mine = await db.prompts.add_server_prompt(GUILD, draft(), NOW)
    theirs = await db.prompts.add_server_prompt(OTHER_GUILD, draft("What made you smile this week?"), NOW)
    assert mine.key == f"server:{mine.server_prompt_id}"
    assert [p.text for p in await db.prompts.server_prompts(GUILD)] == [mine.text]
    assert await db.prompts.server_prompt(GUILD, theirs.server_prompt_id or 0) is None
    # Another server cannot remove it.
    assert not await db.prompts.remove_server_prompt(OTHER_GUILD, mine)
    assert await db.prompts.server_prompt(GUILD, mine.server_prompt_id or 0) == mine


async def test_removing_a_server_prompt_forgets_it_was_drawn(db: Store) -> None:
    prompt = await db.prompts.add_server_prompt(GUILD, draft(), NOW)
    await db.prompts.replace_used(GUILD, frozenset(), frozenset({prompt.key, "check-in-001"}), NOW)
    assert await db.prompts.remove_server_prompt(GUILD, prompt)
    assert await db.prompts.used(GUILD) == {"check-in-001"}
    assert await db.prompts.server_prompts(GUILD) == []


async def test_a_new_server_starts_light_and_an_admin_can_go_deeper(db: Store) -> None:
    assert await db.prompts.max_depth(GUILD) is Depth.LIGHT
    await db.prompts.set_max_depth(GUILD, Depth.MEDIUM, NOW)
    await db.prompts.set_max_depth(GUILD, Depth.DEEP, NOW)
    assert await db.prompts.max_depth(GUILD) is Depth.DEEP
    assert await db.prompts.max_depth(OTHER_GUILD) is Depth.LIGHT


async def test_the_used_set_is_written_as_a_difference(db: Store) -> None:
    await db.prompts.replace_used(GUILD, frozenset(), frozenset({"a-001", "a-002"}), NOW)
    await db.prompts.replace_used(GUILD, frozenset({"a-001", "a-002"}), frozenset({"a-002", "b-001"}), NOW)
    assert await db.prompts.used(GUILD) == {"a-002", "b-001"}
    assert await db.prompts.used(OTHER_GUILD) == frozenset()


async def test_a_schedule_is_claimed_once_for_each_due_moment(db: Store) -> None:
    daily = Recurrence(weekdays=frozenset(range(7)), hour=9, minute=0)
    due = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
    schedule_id = await db.prompts.add_schedule(
        guild_id=GUILD, channel_id=42, recurrence=daily, deck="gratitude", thread=True, next_due=due, now=NOW
    )
    row = await db.prompts.schedule(schedule_id)
    assert row is not None and row.recurrence == daily and row.thread and row.deck == "gratitude"
    assert row.next_due == due and row.last_posted_at is None
    following = due + timedelta(days=1)
    assert await db.prompts.claim_due(schedule_id, due, following, due)
    # A second run for the same moment finds the schedule already moved on: it must not post.
    assert not await db.prompts.claim_due(schedule_id, due, following, due)
    row = await db.prompts.schedule(schedule_id)
    assert row is not None and row.next_due == following and row.last_posted_at == due
    assert not await db.prompts.remove_schedule(OTHER_GUILD, schedule_id)
    assert await db.prompts.remove_schedule(GUILD, schedule_id)
    assert await db.prompts.schedules() == []


async def test_prompt_tables_hold_no_user_ids(db: Store) -> None:
    mine = {"server_prompts", "prompt_settings", "prompt_draws", "circle_prompts", "prompt_schedules"}
    assert not mine & {table for table, _ in await db.db.user_tables()}


async def test_no_prompt_repeats_until_the_deck_is_used_up_across_a_restart(tmp_path: Path) -> None:
    light = [p.key for p in DECKS["gratitude"].prompts if p.depth is Depth.LIGHT]
    first = await Store.open(tmp_path / "bot.db")
    half = len(light) // 2
    seen = [(await service_on(first, seed=1).draw(GUILD, "gratitude")).key for _ in range(half)]
    await first.close()

    second = await Store.open(tmp_path / "bot.db")
    try:
        # A new process with another seed carries on from the stored record.
        service = service_on(second, seed=99)
        seen += [(await service.draw(GUILD, "gratitude")).key for _ in range(len(light) - half)]
        assert sorted(seen) == sorted(light)  # each light prompt once, none deeper (a new server is light)
        next_cycle = (await service.draw(GUILD, "gratitude")).key
        assert next_cycle in light
        assert await second.prompts.used(GUILD) == {next_cycle}
    finally:
        await second.close()


async def test_the_servers_depth_and_own_prompts_shape_the_draw(db: Store) -> None:
    service = service_on(db, seed=5)
    own = await db.prompts.add_server_prompt(GUILD, draft("What are you bringing with you into this room?"), NOW)
    deep_own = await db.prompts.add_server_prompt(
        GUILD,
        ServerPromptDraft(deck="check-in", text="What feels heavy for you today?", depth=Depth.DEEP, content_note=None),
        NOW,
    )
    eligible = [p.key for p in DECKS["check-in"].prompts if p.depth is Depth.LIGHT] + [own.key]
    drawn = [(await service.draw(GUILD, "check-in")).key for _ in range(len(eligible))]
    assert sorted(drawn) == sorted(eligible)  # the server's own light prompt is mixed in, the deep one is not
    assert deep_own.key not in drawn
    await db.prompts.set_max_depth(GUILD, Depth.DEEP, NOW)
    deeper = {(await service.draw(GUILD, "check-in")).key for _ in range(len(DECKS["check-in"].prompts) + 2)}
    assert deep_own.key in deeper


async def test_round_prompts_are_drawn_once_and_kept_across_a_restart(tmp_path: Path) -> None:
    first = await Store.open(tmp_path / "bot.db")
    circle = await make_circle(first, rounds=3)
    service = service_on(first, seed=3)
    opening = await service.prompt_for_round(circle, GUILD, 1, 3, None)
    middle = await service.prompt_for_round(circle, GUILD, 2, 3, None)
    closing = await service.prompt_for_round(circle, GUILD, 3, 3, None)
    assert opening is not None and middle is not None and closing is not None
    assert (opening.deck, middle.deck, closing.deck) == ("check-in", "connection", "closing")
    assert await service.prompt_for_round(circle, GUILD, 1, 3, None) == opening
    await first.close()

    second = await Store.open(tmp_path / "bot.db")
    try:
        service = service_on(second, seed=77)
        assert await service.prompt_for_round(circle, GUILD, 1, 3, None) == opening
        assert await service.prompt_for_round(circle, GUILD, 3, 3, None) == closing
        used = await second.prompts.used(GUILD)
        assert {opening.key, middle.key, closing.key} <= used
    finally:
        await second.close()


async def test_a_chosen_deck_opens_every_round_and_an_unknown_one_falls_back(db: Store) -> None:
    service = service_on(db, seed=8)
    chosen = await make_circle(db, channel_id=42, rounds=2)
    unknown = await make_circle(db, channel_id=43, rounds=2)
    picked: list[Prompt | None] = [await service.prompt_for_round(chosen, GUILD, r, 2, "gratitude") for r in (1, 2)]
    assert [p.deck if p else None for p in picked] == ["gratitude", "gratitude"]
    fallback = await service.prompt_for_round(unknown, GUILD, 1, 2, "no-such-deck")
    assert fallback is not None and fallback.deck == "check-in"
    assert await service.prompt_for_round(unknown, GUILD, 0, 2, None) is None


async def test_a_round_whose_server_prompt_was_removed_gets_a_new_one(db: Store) -> None:
    service = service_on(db, seed=2)
    circle = await make_circle(db, rounds=1)
    own = await db.prompts.add_server_prompt(GUILD, draft(), NOW)
    await db.prompts.set_round_prompt(circle, 1, GUILD, "check-in", own.key, NOW)
    assert await service.prompt_for_round(circle, GUILD, 1, 1, None) == own
    await db.prompts.remove_server_prompt(GUILD, own)
    replacement = await service.prompt_for_round(circle, GUILD, 1, 1, None)
    assert replacement is not None and replacement.deck == "check-in" and replacement.server_prompt_id is None
    assert await service.prompt_for_round(circle, GUILD, 1, 1, None) == replacement
