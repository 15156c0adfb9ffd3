"""Scheduled prompts: local wall time across daylight-saving changes, restarts, threads and kind refusals.

The catch-up rule (what to post after time passed without a run) is tested as plain domain code first, then
every story runs end to end on the stand-in with the injected clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.prompts import load_decks
from bot.domain.recurrence import ALL_DAYS, Recurrence, catch_up
from bot.testing import EPHEMERAL, StandIn, channel_option
from cogs.prompts.service import GRACE, PROMPTS_DIR

BERLIN = ZoneInfo("Europe/Berlin")
DAILY_9 = Recurrence(weekdays=ALL_DAYS, hour=9, minute=0)
DECKS = load_decks(PROMPTS_DIR)
SEND_MESSAGES = 2048
CREATE_PUBLIC_THREADS = 1 << 35


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


# --- the catch-up rule, as plain domain code ---------------------------------------------------------------


def test_nothing_is_due_before_the_moment() -> None:
    due = berlin(2026, 3, 28, 9, 0)
    decision = catch_up(DAILY_9, due, due - timedelta(seconds=1), "Europe/Berlin", GRACE)
    assert decision.post is None and decision.skipped == 0 and decision.next_due == due


def test_on_time_posts_once_and_moves_to_the_next_day_across_the_change() -> None:
    due = berlin(2026, 3, 28, 9, 0)
    decision = catch_up(DAILY_9, due, due, "Europe/Berlin", GRACE)
    assert decision.post == due and decision.skipped == 0
    assert decision.next_due == berlin(2026, 3, 29, 9, 0) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_a_late_post_is_made_within_the_grace_window_only() -> None:
    due = berlin(2026, 3, 28, 9, 0)
    late = catch_up(DAILY_9, due, due + timedelta(minutes=15), "Europe/Berlin", GRACE)
    assert late.post == due
    too_late = catch_up(DAILY_9, due, due + timedelta(minutes=15, seconds=1), "Europe/Berlin", GRACE)
    assert too_late.post is None and too_late.skipped == 1 and too_late.next_due == berlin(2026, 3, 29, 9, 0)


def test_after_days_away_only_the_latest_moment_may_be_posted() -> None:
    due = berlin(2026, 3, 20, 9, 0)
    back = berlin(2026, 3, 30, 9, 5)
    decision = catch_up(DAILY_9, due, back, "Europe/Berlin", GRACE)
    assert decision.post == berlin(2026, 3, 30, 9, 0) and decision.skipped == 10
    assert decision.next_due == berlin(2026, 3, 31, 9, 0)


def test_gap_and_overlap_times_come_once_a_day() -> None:
    at_0230 = Recurrence(weekdays=ALL_DAYS, hour=2, minute=30)
    # Spring forward: 02:30 does not exist on 29 March; it happens once, when the clocks jump (03:00 CEST).
    due = catch_up(at_0230, berlin(2026, 3, 28, 2, 30), berlin(2026, 3, 28, 2, 30), "Europe/Berlin", GRACE).next_due
    assert due == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert catch_up(at_0230, due, due, "Europe/Berlin", GRACE).next_due == berlin(2026, 3, 30, 2, 30)
    # Fall back: 02:30 comes twice on 25 October; only the first (00:30 UTC) counts.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    decision = catch_up(at_0230, first, first, "Europe/Berlin", GRACE)
    assert decision.post == first and decision.next_due == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    second = first + timedelta(hours=1)  # 02:30 CET, the second time round
    assert catch_up(at_0230, decision.next_due, second, "Europe/Berlin", GRACE).post is None


# --- end to end ---------------------------------------------------------------------------------------------


@asynccontextmanager
async def standin_at(tmp_path: Path, start: datetime) -> AsyncIterator[StandIn]:
    s = StandIn(database_path=tmp_path / "bot.db", start_time=start)
    await s.start()
    try:
        yield s
    finally:
        await s.close()
    assert s.errors == [], f"errors were logged: {s.errors}"


async def in_berlin(s: StandIn) -> None:
    await s.slash("Rosa", "config timezone", tz="Europe/Berlin")


async def schedule_as(s: StandIn, user: str, when: str, **options: Any) -> None:
    # `slash()` takes `channel` as where the command is typed, so the option is built under another name first.
    data = s.slash_payload(s.user_id(user), "prompt schedule", None, target=channel_option(s.channel_id("general")))
    data["data"]["options"][0]["options"][0]["name"] = "channel"
    extra = s.slash_payload(s.user_id(user), "prompt schedule", None, when=when, **options)
    data["data"]["options"][0]["options"] += extra["data"]["options"][0]["options"]
    await s.feed("INTERACTION_CREATE", data)


async def schedule(s: StandIn, when: str, **options: Any) -> str:
    await schedule_as(s, "Rosa", when, **options)
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL
    return str(reply["content"])


def posts(s: StandIn, channel: str | int = "general") -> list[dict[str, Any]]:
    return s.bot_messages(channel)


def local_times(s: StandIn) -> list[str]:
    return [datetime.fromisoformat(m["timestamp"]).astimezone(BERLIN).strftime("%Y-%m-%d %H:%M %Z") for m in posts(s)]


def prompt_of(message: dict[str, Any]) -> str:
    texts = {p.text for deck in DECKS.values() for p in deck.prompts}
    found = [line for line in message["content"].splitlines() if line in texts]
    assert len(found) == 1, message["content"]
    return found[0]


async def restart_after(s: StandIn, seconds: float) -> None:
    """Stop the bot, let time pass with it down, and start a second bot on the same database file."""
    assert s.bot is not None
    await s.bot.close()
    s.bot = None
    s.clock.advance(seconds)
    await s.restart()


async def test_daily_0900_in_berlin_fires_at_0900_local_on_both_sides_of_spring_forward(tmp_path: Path) -> None:
    async with standin_at(tmp_path, berlin(2026, 3, 27, 12, 0)) as s:
        await in_berlin(s)
        reply = await schedule(s, "daily 09:00", deck="gratitude")
        assert "every day at 09:00 (Europe/Berlin time)" in reply and "**Gratitude**" in reply
        assert f"<t:{int(berlin(2026, 3, 28, 9, 0).timestamp())}:F>" in reply
        await s.advance(timedelta(days=3, hours=1).total_seconds())
        assert local_times(s) == [
            "2026-03-28 09:00 CET",
            "2026-03-29 09:00 CEST",  # the clocks went forward that night: still 09:00 local, once
            "2026-03-30 09:00 CEST",
        ]
        gratitude = {p.text for p in DECKS["gratitude"].prompts}
        drawn = [prompt_of(m) for m in posts(s)]
        assert set(drawn) <= gratitude and len(set(drawn)) == 3
        assert all("A question to sit with today" in m["content"] for m in posts(s))


async def test_daily_0900_in_berlin_fires_at_0900_local_on_both_sides_of_fall_back(tmp_path: Path) -> None:
    async with standin_at(tmp_path, berlin(2026, 10, 23, 12, 0)) as s:
        await in_berlin(s)
        await schedule(s, "daily 9am")
        await s.advance(timedelta(days=3, hours=1).total_seconds())
        assert local_times(s) == ["2026-10-24 09:00 CEST", "2026-10-25 09:00 CET", "2026-10-26 09:00 CET"]


async def test_times_in_the_gap_or_overlap_are_explained_and_post_once(tmp_path: Path) -> None:
    async with standin_at(tmp_path, berlin(2026, 3, 28, 12, 0)) as s:
        await in_berlin(s)
        reply = await schedule(s, "daily 02:30")
        assert "skip over 02:30" in reply and "only once" in reply
        await s.advance(timedelta(days=2).total_seconds())
        assert local_times(s) == ["2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"]
    async with standin_at(tmp_path / "autumn", berlin(2026, 10, 24, 12, 0)) as s:
        await in_berlin(s)
        await schedule(s, "daily 02:30")
        await s.advance(timedelta(days=2).total_seconds())
        # 02:30 came twice on 25 October (CEST, then CET): one post, at the first.
        assert local_times(s) == ["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]


async def test_a_schedule_survives_a_restart(tmp_path: Path) -> None:
    async with standin_at(tmp_path, berlin(2026, 3, 27, 12, 0)) as s:
        await in_berlin(s)
        await schedule(s, "daily 09:00")
        await restart_after(s, 3600)  # down for an hour, long before the post is due
        assert s.bot is not None
        assert s.bot.scheduler.when("prompt-schedule:1") == berlin(2026, 3, 28, 9, 0)
        await s.advance(timedelta(days=2).total_seconds())
        assert local_times(s) == ["2026-03-28 09:00 CET", "2026-03-29 09:00 CEST"]


async def test_a_post_missed_while_down_is_made_late_only_within_the_grace_window(tmp_path: Path) -> None:
    async with standin_at(tmp_path, berlin(2026, 3, 27, 8, 0)) as s:
        await in_berlin(s)
        await schedule(s, "daily 09:00")
        # Down over 09:00, back at 09:10: the prompt is still welcome, and posted once.
        await restart_after(s, timedelta(hours=1, minutes=10).total_seconds())
        assert local_times(s) == ["2026-03-27 09:10 CET"]
        await restart_after(s, 60)  # a second restart right after must not post it again
        assert len(posts(s)) == 1
        # Down from before 09:00 the next day until 09:30: too late, so nothing until the day after.
        await s.advance(timedelta(hours=23, minutes=40).total_seconds())
        assert len(posts(s)) == 1
        await restart_after(s, timedelta(minutes=40).total_seconds())
        assert len(posts(s)) == 1
        await s.advance(timedelta(days=1).total_seconds())
        assert local_times(s) == ["2026-03-27 09:10 CET", "2026-03-29 09:00 CEST"]
        assert s.bot is not None
        row = await s.bot.store.prompts.schedule(1)
        assert row is not None and row.next_due == berlin(2026, 3, 30, 9, 0)
        assert row.last_posted_at == berlin(2026, 3, 29, 9, 0)


async def test_a_scheduled_prompt_can_open_a_thread_for_replies(tmp_path: Path) -> None:
    async with standin_at(tmp_path, berlin(2026, 3, 27, 12, 0)) as s:
        await in_berlin(s)
        reply = await schedule(s, "weekly sat 10:00", deck="connection", thread=True)
        assert "every Saturday at 10:00" in reply and "with a thread for replies" in reply
        mark = s.mark()
        await s.advance(timedelta(days=1).total_seconds())
        paths = [c.path for c in s.since(mark)]
        assert paths == [
            "/channels/{channel_id}/messages",
            "/channels/{channel_id}/messages/{message_id}/threads",
            "/channels/{channel_id}/messages",
        ]
        (post,) = posts(s)
        assert "A question to sit with this week" in post["content"] and "thread below" in post["content"]
        assert prompt_of(post) in {p.text for p in DECKS["connection"].prompts}
        thread = s.channel(post["id"])
        assert thread["parent_id"] == str(s.channel_id("general"))
        assert thread["name"] == "Reflections, Saturday 28 March"
        assert s.bot is not None and s.bot.get_channel(int(thread["id"])) is not None
        (invite,) = s.bot_messages(int(thread["id"]))
        assert "This thread is for replies" in invite["content"]


async def test_a_when_that_does_not_parse_gets_a_kind_example(discord_standin: StandIn) -> None:
    s = discord_standin
    for bad in ("every morning", "daily 25:00", "weekly 19:00", "tue,thu 19:00"):
        content = await schedule(s, bad)
        assert "`daily 09:00`" in content and "`weekly mon 19:30`" in content, content
    assert s.bot is not None
    assert await s.bot.store.prompts.schedules() == []
    assert [j for j in s.bot.scheduler.job_ids() if j.startswith("prompt-schedule:")] == []


async def test_missing_permissions_are_named_at_schedule_time(discord_standin: StandIn) -> None:
    s = discord_standin
    general = s.channel(s.channel_id("general"))
    bot_role = s.member(s.bot_id)["roles"][0]
    general["permission_overwrites"] = [{"id": bot_role, "type": 0, "allow": "0", "deny": str(CREATE_PUBLIC_THREADS)}]
    await s.feed("CHANNEL_UPDATE", {**general, "guild_id": s.guild["id"]})
    content = await schedule(s, "daily 09:00", thread=True)
    assert "**Create Public Threads**" in content and "Nothing was scheduled" in content
    general["permission_overwrites"] = [{"id": bot_role, "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)}]
    await s.feed("CHANNEL_UPDATE", {**general, "guild_id": s.guild["id"]})
    content = await schedule(s, "daily 09:00")
    assert "**Send Messages**" in content
    assert s.bot is not None
    assert await s.bot.store.prompts.schedules() == []


async def test_only_admins_schedule(discord_standin: StandIn) -> None:
    s = discord_standin
    await schedule_as(s, "Ken", "daily 09:00")
    await s.slash("Ken", "prompt schedules")
    for reply in s.replies[s.user_id("Ken")][-2:]:
        assert reply["flags"] & EPHEMERAL and "Only server admins" in reply["content"]
    assert s.bot is not None
    assert await s.bot.store.prompts.schedules() == []


async def test_schedules_are_listed_and_can_be_removed(tmp_path: Path) -> None:
    async with standin_at(tmp_path, berlin(2026, 3, 27, 12, 0)) as s:
        await s.slash("Rosa", "prompt schedules")
        assert "no scheduled prompts yet" in s.last_reply("Rosa")["content"]
        await in_berlin(s)
        await schedule(s, "daily 09:00")
        await schedule(s, "weekly mon 19:30", deck="closing")
        await s.slash("Rosa", "prompt schedules")
        listing = s.last_reply("Rosa")["content"]
        assert "(Europe/Berlin time)" in listing
        assert "1. every day at 09:00 in <#" in listing and "2. every Monday at 19:30 in <#" in listing

        data = s.slash_payload(s.user_id("Rosa"), "prompt unschedule", schedule="mon")
        data["type"] = 4
        data["data"]["options"][0]["options"][0]["focused"] = True
        await s.feed("INTERACTION_CREATE", data)
        choices = s.calls[-1].json["data"]["choices"]
        assert [c["name"] for c in choices] == ["every Monday at 19:30 in #general (Closing)"]

        await s.slash("Rosa", "prompt unschedule", schedule=choices[0]["value"])
        assert "won't post prompts every Monday at 19:30" in s.last_reply("Rosa")["content"]
        assert s.bot is not None
        assert s.bot.scheduler.when(f"prompt-schedule:{choices[0]['value']}") is None
        await s.slash("Rosa", "prompt unschedule", schedule=choices[0]["value"])
        assert "couldn't find that schedule" in s.last_reply("Rosa")["content"]
        await s.advance(timedelta(days=4).total_seconds())  # past Monday 30 March 19:30
        assert all("today" in m["content"] for m in posts(s)) and len(posts(s)) == 4
