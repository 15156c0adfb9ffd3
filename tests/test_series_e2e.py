"""Recurring circles end to end: a series opens its circle, lists it in Events, reminds, skips, survives restarts.

Every story runs on the stand-in with the injected clock; Discord's side (Scheduled Events, DMs, the card) is
checked as Discord would hold it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.db.repos.series import EVENT_ACTIVE, EVENT_CANCELLED, EVENT_COMPLETED, EVENT_SCHEDULED
from bot.domain.circle import Status
from bot.testing import EPHEMERAL, Call, StandIn, channel_option
from tests.circle_helpers import circle_state

LONDON = ZoneInfo("Europe/London")
EVENTS = "/guilds/{guild_id}/scheduled-events"
EVENT = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
VIEW_CHANNEL = 1024
CREATE_EVENTS = 1 << 44


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


# Tuesday 10 March 2026, before the clocks go forward (London is on GMT).
TUESDAY_NOON = london(2026, 3, 10, 12, 0)
SESSION = london(2026, 3, 10, 19, 0)


@asynccontextmanager
async def standin_at(tmp_path: Path, start: datetime = TUESDAY_NOON) -> AsyncIterator[StandIn]:
    s = StandIn(database_path=tmp_path / "bot.db", start_time=start)
    await s.start()
    try:
        await s.slash("Rosa", "config timezone", tz="Europe/London")
        yield s
    finally:
        await s.close()
    assert s.errors == [], f"errors were logged: {s.errors}"


async def schedule(s: StandIn, when: str, *, user: str = "Rosa", channel: str = "circle-room", **options: Any) -> str:
    """`/circle schedule`; `slash()` takes `channel` as where the command is typed, so the option is renamed."""
    data = s.slash_payload(s.user_id(user), "circle schedule", None, target=channel_option(s.channel_id(channel)))
    data["data"]["options"][0]["options"][0]["name"] = "channel"
    options.setdefault("name", "Grief circle")
    extra = s.slash_payload(s.user_id(user), "circle schedule", None, when=when, **options)
    data["data"]["options"][0]["options"] += extra["data"]["options"][0]["options"]
    await s.feed("INTERACTION_CREATE", data)
    reply = s.last_reply(user)
    assert reply["flags"] & EPHEMERAL
    return str(reply["content"])


def event_calls(s: StandIn, method: str, path: str = EVENT, mark: int = 0) -> list[Call]:
    return [c for c in s.since(mark) if c.method == method and c.path == path]


def cards(s: StandIn, channel: str = "circle-room") -> list[dict[str, Any]]:
    return [m for m in s.bot_messages(channel) if m.get("embeds")]


async def session_rows(s: StandIn) -> list[tuple[str, str]]:
    assert s.bot is not None
    rows = await s.bot.db.fetchall("SELECT starts_at, status FROM series_sessions ORDER BY series_id, starts_at")
    return [
        (datetime.fromisoformat(r["starts_at"]).astimezone(LONDON).strftime("%d %b %H:%M"), r["status"]) for r in rows
    ]


async def restart_after(s: StandIn, seconds: float) -> None:
    """Stop the bot, let time pass with it down, and start a second bot on the same database file."""
    assert s.bot is not None
    await s.settle()
    await s.bot.close()
    s.bot = None
    s.clock.advance(seconds)
    await s.restart()


async def until(s: StandIn, moment: datetime) -> None:
    await s.advance((moment - s.clock.now()).total_seconds())


# --- the whole story ------------------------------------------------------------------------------------------


async def test_a_series_lists_its_event_reminds_opens_and_starts_itself(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        ken, mia = s.user_id("Ken"), s.user_id("Mia")
        mark = s.mark()
        reply = await schedule(s, "weekly tue 19:00", auto_start=True)
        assert "**Grief circle** is set: every Tuesday at 19:00 (Europe/London time)" in reply
        assert f"<t:{int(SESSION.timestamp())}:F>" in reply and "start it on time" in reply

        # The session is within a week: its Event is created now, an external one for a text channel.
        (created,) = event_calls(s, "POST", EVENTS, mark)
        body = created.json
        assert datetime.fromisoformat(body["scheduled_start_time"]) == SESSION
        assert datetime.fromisoformat(body["scheduled_end_time"]) == SESSION + timedelta(minutes=60)
        assert body["entity_type"] == 3 and body["entity_metadata"] == {"location": "#circle-room"}
        assert body["privacy_level"] == 2 and body["name"] == "Grief circle"
        (event,) = s.scheduled_events.values()
        assert event["status"] == EVENT_SCHEDULED
        assert s.bot is not None
        guild = s.bot.get_guild(s.guild_id)
        # Discord sent GUILD_SCHEDULED_EVENT_CREATE: discord.py's cache has it.
        assert guild is not None and guild.get_scheduled_event(int(event["id"])) is not None

        # Ken asks for a reminder; Mia too, but her DMs are closed: she is skipped quietly.
        await s.slash("Ken", "circle remind", series="1", setting="on")
        assert "an hour before each **Grief circle** session" in s.last_reply("Ken")["content"]
        s.closed_dms.add(mia)
        await s.slash("Mia", "circle remind", series="Grief circle", setting="on")
        await until(s, SESSION - timedelta(hours=1, seconds=1))
        assert s.dms_to("Ken") == []
        await s.advance(1)
        (dm,) = s.dms_to("Ken")
        assert "**Grief circle** starts" in dm["content"] and f"<t:{int(SESSION.timestamp())}:R>" in dm["content"]
        assert s.dms_to("Mia") == []

        # Ten minutes before: the circle opens and its card is posted, for this series.
        await until(s, SESSION - timedelta(minutes=10, seconds=1))
        assert cards(s) == []
        await s.advance(1)
        (card,) = cards(s)
        assert "circle is open" in card["embeds"][0]["title"]
        row = await s.bot.db.fetchone("SELECT series_id, facilitator_user_id FROM circles")
        assert row is not None and row["series_id"] == 1 and row["facilitator_user_id"] == s.user_id("Rosa")
        assert (await circle_state(s)).status == Status.GATHERING

        await s.slash("Ken", "circle join")
        await s.slash("Mia", "circle join")
        mark = s.mark()
        await until(s, SESSION)
        state = await circle_state(s)
        assert state.status == Status.RUNNING and state.holder == ken
        assert f"<@{ken}>, the stick is yours" in s.last_message("circle-room")["content"]
        (active,) = event_calls(s, "PATCH", mark=mark)
        assert active.json["status"] == EVENT_ACTIVE and event["status"] == EVENT_ACTIVE

        await s.slash("Rosa", "circle end")
        assert event["status"] == EVENT_COMPLETED
        assert await session_rows(s) == [("10 Mar 19:00", "opened"), ("17 Mar 19:00", "planned")]

        # A week ahead of next Tuesday, its Event was created (at this Tuesday's 19:00).
        starts = sorted(datetime.fromisoformat(e["scheduled_start_time"]) for e in s.scheduled_events.values())
        assert starts == [SESSION, london(2026, 3, 17, 19, 0)]


async def test_without_auto_start_the_circle_waits_for_the_facilitator(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00", open_minutes_before=30)
        await until(s, SESSION - timedelta(minutes=30))
        assert len(cards(s)) == 1
        await s.slash("Ken", "circle join")
        await until(s, SESSION + timedelta(minutes=5))
        assert (await circle_state(s)).status == Status.GATHERING
        await s.slash("Rosa", "circle start")
        assert (await circle_state(s)).status == Status.RUNNING
        (event,) = [e for e in s.scheduled_events.values() if e["scheduled_start_time"] == SESSION.isoformat()]
        assert event["status"] == EVENT_ACTIVE


async def test_voice_series_makes_voice_events(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        mark = s.mark()
        await schedule(s, "weekly tue,thu 19:00", channel="Circle Voice")
        bodies = [c.json for c in event_calls(s, "POST", EVENTS, mark)]
        # Tuesday and Thursday are both within a week.
        assert [datetime.fromisoformat(b["scheduled_start_time"]) for b in bodies] == [
            SESSION,
            london(2026, 3, 12, 19, 0),
        ]
        assert all(b["entity_type"] == 2 and b["channel_id"] == s.channel_id("Circle Voice") for b in bodies)
        assert all("entity_metadata" not in b for b in bodies)


async def test_skip_session_cancels_that_event_and_that_circle_only(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00")
        await until(s, london(2026, 3, 11, 12, 0))  # Wednesday: this week's circle has opened already
        await s.slash("Rosa", "circle end")
        next_tuesday = london(2026, 3, 17, 19, 0)
        (event,) = [e for e in s.scheduled_events.values() if e["scheduled_start_time"] == next_tuesday.isoformat()]
        mark = s.mark()
        await s.slash("Rosa", "circle skip-session", series="1", date="2026-03-17")
        content = s.last_reply("Rosa")["content"]
        assert "Tuesday 17 March 2026 is skipped" in content and "streak" in content
        (cancel,) = event_calls(s, "PATCH", mark=mark)
        assert cancel.params["guild_scheduled_event_id"] == event["id"]
        assert cancel.json["status"] == EVENT_CANCELLED and event["status"] == EVENT_CANCELLED

        await until(s, london(2026, 3, 18, 12, 0))
        assert len(cards(s)) == 1  # nothing opened on the 17th
        assert ("17 Mar 19:00", "skipped") in await session_rows(s)
        await until(s, london(2026, 3, 24, 18, 50))
        assert len(cards(s)) == 2  # the week after, as usual

        # Members can't skip, and a date with no session gets a kind answer.
        await s.slash("Ken", "circle skip-session", series="1")
        assert "Only facilitators" in s.last_reply("Ken")["content"]
        await s.slash("Rosa", "circle skip-session", series="1", date="2026-03-25")
        assert "no session coming up on 2026-03-25" in s.last_reply("Rosa")["content"]


async def test_skip_session_autocompletes_the_coming_dates(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "every 2 weeks tue 19:00")
        assert s.bot is not None
        cog: Any = s.bot.get_cog("Circles")
        choices = await cog.series.date_choices(s.guild_id, "1", "")
        assert [c.value for c in choices[:3]] == ["2026-03-10", "2026-03-24", "2026-04-07"]
        assert choices[2].name == "Tuesday 7 April 2026, 19:00"  # after the clocks went forward: still 19:00
        named = await cog.series.choices(s.guild_id, "grief")
        assert [(c.name, c.value) for c in named] == [("Grief circle · every 2 weeks on Tuesday at 19:00", "1")]


async def test_unschedule_cancels_future_events_and_stops_opening(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue,thu 19:00")
        await s.slash("Ken", "circle remind", series="1", setting="on")
        await s.slash("Rosa", "circle unschedule", series="1")
        assert "is unscheduled" in s.last_reply("Rosa")["content"]
        assert {e["status"] for e in s.scheduled_events.values()} == {EVENT_CANCELLED}
        assert s.bot is not None
        assert not [j for j in s.bot.scheduler.job_ids() if j.startswith("circle-series:")]
        assert await s.bot.db.fetchall("SELECT * FROM series_reminders") == []
        await until(s, london(2026, 3, 13, 12, 0))
        assert cards(s) == [] and s.dms_to("Ken") == []
        await s.slash("Ken", "circle schedules")
        assert "no recurring circles here yet" in s.last_reply("Ken")["content"]


async def test_schedules_lists_next_sessions_for_anyone(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly thu 18:30", name="Men's group")
        await schedule(s, "every 2 weeks mon 12:00", name="Lunch circle", auto_start=True)
        await s.slash("Ken", "circle remind", series="2", setting="on")
        await s.slash("Ken", "circle schedules")
        reply = s.last_reply("Ken")
        assert reply["flags"] & EPHEMERAL
        lines = reply["content"].splitlines()
        assert lines[0] == "**Recurring circles** (times in Europe/London):"
        assert "**Men's group**: every Thursday at 18:30" in lines[1]
        assert f"<t:{int(london(2026, 3, 12, 18, 30).timestamp())}:F>" in lines[1]
        assert f"<t:{int(london(2026, 3, 16, 12, 0).timestamp())}:F>" in lines[2]
        assert "starts by itself" in lines[2] and "you get a reminder" in lines[2]
        assert "you get a reminder" not in lines[1]


# --- restarts and downtime ---------------------------------------------------------------------------------------


async def test_restart_keeps_every_series_and_opens_a_session_missed_by_minutes(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00")
        await schedule(s, "weekly wed 08:00", name="Morning circle", channel="general")
        await until(s, SESSION - timedelta(minutes=30))
        # Down from 18:30 to 18:55: the opening time (18:50) passed five minutes ago, so it opens now.
        await restart_after(s, 25 * 60)
        assert s.bot is not None
        assert s.bot.scheduler.when("circle-series:2") == london(2026, 3, 11, 7, 0)  # its reminders, an hour before
        (card,) = cards(s)
        assert datetime.fromisoformat(card["timestamp"]) == SESSION - timedelta(minutes=5)
        assert [r for r in await session_rows(s) if r[0] == "10 Mar 19:00"] == [("10 Mar 19:00", "opened")]
        # A second restart right after must not open it again.
        await restart_after(s, 60)
        assert len(cards(s)) == 1
        await until(s, london(2026, 3, 11, 7, 50))
        assert len(cards(s, "general")) == 1


async def test_a_session_long_past_in_downtime_is_missed_by_the_bot_not_by_members(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00", auto_start=True)
        await until(s, SESSION - timedelta(minutes=30))
        (event,) = s.scheduled_events.values()
        # Down from 18:30 to 19:10: the opening time passed twenty minutes ago, past the 15-minute grace.
        await restart_after(s, 40 * 60)
        assert cards(s) == []
        assert ("10 Mar 19:00", "missed_by_bot") in await session_rows(s)
        assert event["status"] == EVENT_CANCELLED
        assert s.bot is not None
        assert s.bot.scheduler.when("circle-series:1") is not None
        series = await s.bot.store.series.get(1)
        assert series is not None and series.next_session == london(2026, 3, 17, 19, 0)
        await until(s, london(2026, 3, 17, 18, 50))
        assert len(cards(s)) == 1  # the next week opens as usual


async def test_a_circle_that_ended_during_downtime_completes_its_event(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00", auto_start=True)
        await until(s, SESSION - timedelta(minutes=5))
        await s.slash("Ken", "circle join")
        await until(s, SESSION)
        event = next(iter(s.scheduled_events.values()))
        assert event["status"] == EVENT_ACTIVE
        # Down for three hours: the one-turn circle ran out meanwhile; the restart ends it and completes the Event.
        await restart_after(s, 3 * 3600)
        assert (await circle_state(s)).status == Status.ENDED
        assert event["status"] == EVENT_COMPLETED


# --- kind refusals ---------------------------------------------------------------------------------------------


async def test_a_when_that_does_not_parse_gets_a_kind_reply_with_examples(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        for bad in ("someday soon", "weekly 19:00", "daily 09:00", "every 12 weeks mon 10:00"):
            content = await schedule(s, bad)
            assert "`weekly mon 19:30`" in content and "`weekly tue,thu 19:00`" in content, content
            assert "`every 2 weeks mon 18:30`" in content and "daily" not in content.split("Try")[1], content
        assert "needs a day of the week" in await schedule(s, "daily 09:00")
        assert s.bot is not None
        assert await s.bot.store.series.active() == []
        assert s.scheduled_events == {}


async def test_a_channel_the_bot_cannot_see_or_post_in_is_refused_with_the_reason(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        general = s.channel(s.channel_id("general"))
        bot_role = s.member(s.bot_id)["roles"][0]
        general["permission_overwrites"] = [{"id": bot_role, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]
        await s.feed("CHANNEL_UPDATE", {**general, "guild_id": s.guild["id"]})
        content = await schedule(s, "weekly tue 19:00", channel="general")
        assert "**View Channels, Send Messages, Embed Links**" in content
        general["permission_overwrites"] = [{"id": bot_role, "type": 0, "allow": "0", "deny": "2048"}]
        await s.feed("CHANNEL_UPDATE", {**general, "guild_id": s.guild["id"]})
        assert "**Send Messages, Embed Links**" in await schedule(s, "weekly tue 19:00", channel="general")
        assert s.bot is not None
        assert await s.bot.store.series.active() == []
        assert "Only facilitators" in await schedule(s, "weekly tue 19:00", user="Ken")


async def test_without_create_events_the_facilitator_is_told_and_the_circle_still_opens(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        bot_role = next(r for r in s.guild["roles"] if r["id"] == s.member(s.bot_id)["roles"][0])
        bot_role["permissions"] = str(int(bot_role["permissions"]) & ~CREATE_EVENTS)
        await s.feed("GUILD_ROLE_UPDATE", {"guild_id": s.guild["id"], "role": bot_role})
        content = await schedule(s, "weekly tue 19:00")
        assert "missing **Create Events**" in content and "still opens by itself" in content
        assert s.scheduled_events == {}
        await until(s, SESSION - timedelta(minutes=10))
        assert len(cards(s)) == 1
