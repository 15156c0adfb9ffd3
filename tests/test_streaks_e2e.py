"""Attendance and streaks end to end: circles through the stand-in, then /streak, /attendance and milestones."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.circle import Status
from bot.testing import EPHEMERAL, StandIn, user_option
from tests.circle_helpers import circle_state, open_and_start
from tests.streak_helpers import FileKeepingStandIn, autocomplete, file_keeping_standin
from tests.test_series_e2e import london, restart_after, schedule, standin_at, until
from tests.test_voice_circles import VOICE, muted


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[FileKeepingStandIn]:
    async with file_keeping_standin(tmp_path) as s:
        yield s


WEEK = 7 * 24 * 3600


async def finish_turn(s: StandIn, name: str) -> None:
    state = await circle_state(s)
    assert state.holder == s.user_id(name), f"expected {name} to hold the stick"
    await s.slash(name, "circle pass")


async def session(s: StandIn, *, lu_leaves: bool) -> None:
    """One two-round circle: Ken speaks, Mia passes every turn, Lu speaks (or leaves before their turn)."""
    await open_and_start(s, "Ken", "Mia", "Lu", rounds=2)
    for round_ in (1, 2):
        # Mia passes her coming turn while Ken holds the stick: no reason asked.
        await s.slash("Mia", "circle pass")
        if lu_leaves and round_ == 1:
            await s.slash("Lu", "circle leave")
        await finish_turn(s, "Ken")
        if not lu_leaves:
            await finish_turn(s, "Lu")
    state = await circle_state(s)
    assert state.status.value == "ended"


def reply_of(s: StandIn, name: str) -> str:
    reply = s.last_reply(name)
    assert reply["flags"] & EPHEMERAL, "a reply about one person must be private"
    return str(reply["content"])


async def three_weeks(s: StandIn) -> None:
    """Three sessions a week apart; Lu leaves the second one before their turn."""
    await session(s, lu_leaves=False)
    await s.advance(WEEK)
    await session(s, lu_leaves=True)
    await s.advance(WEEK)
    await session(s, lu_leaves=False)
    await s.advance(30)  # the milestone notes go out a few seconds apart


async def test_three_members_three_sessions_streak_and_attendance(standin: FileKeepingStandIn) -> None:
    s = standin
    await three_weeks(s)
    assert s.bot is not None
    ken, mia, lu = (s.user_id(n) for n in ("Ken", "Mia", "Lu"))

    # Ken took every turn; Mia passed every turn, and passing is taking part: both came to all three, one a week.
    for name in ("Ken", "Mia"):
        await s.slash(name, "streak")
        text = reply_of(s, name)
        assert "Circles you've come to: **3**" in text
        assert "Weeks in a row with a circle: **3** (your longest: 3)" in text
        assert "Streak freezes saved: **0** of 2" in text
        assert "Next milestone: 5 circles." in text

    # Lu left the second circle before their turn: it doesn't count, the week was missed with no freeze saved, so
    # the streak started again at the third.
    await s.slash("Lu", "streak")
    text = reply_of(s, "Lu")
    assert "Circles you've come to: **2**" in text
    assert "Weeks in a row with a circle: **1** (your longest: 1)" in text
    assert "Next milestone: 3 circles." in text

    # Sam never came: nothing to count, nothing shaming.
    await s.slash("Sam", "streak")
    assert "You haven't been counted in a circle here yet" in reply_of(s, "Sam")

    # The facilitator's view of the second circle (picked from the autocomplete list) and of the latest (default).
    choices = await autocomplete(s, "Rosa", "attendance session", "circle", "")
    assert len(choices) == 3
    assert all(c["name"].startswith("#circle-room · ") for c in choices)
    assert [c["name"].endswith(f"· {n} took part") for c, n in zip(choices, (3, 2, 3), strict=True)] == [True] * 3
    second = choices[1]["value"]
    await s.slash("Rosa", "attendance session", circle=second)
    text = reply_of(s, "Rosa")
    assert "**Came (2)**" in text
    assert f"• <@{ken}>: there from the start, took 2 turns" in text
    assert f"• <@{mia}>: there from the start, passed 2 times" in text
    assert "**Joined, not counted (1)**" in text
    assert f"• <@{lu}>: left in round 1 before their turn" in text
    rows = list(csv.reader(io.StringIO(s.uploads[f"circle-{second}-attendance.csv"].decode())))
    assert rows[0] == [
        "user_id",
        "name",
        "came",
        "joined",
        "left_in_round",
        "turns_taken",
        "turns_passed",
        "turns_skipped",
    ]
    assert rows[1:] == [
        [str(ken), "Ken", "yes", "start", "", "2", "0", "0"],
        [str(mia), "Mia", "yes", "start", "", "0", "2", "0"],
        [str(lu), "Lu", "no", "start", "1", "0", "0", "0"],
    ]

    await s.slash("Rosa", "attendance session")
    text = reply_of(s, "Rosa")
    assert "**Came (3)**" in text
    assert f"• <@{lu}>: there from the start, took 2 turns" in text
    assert "Joined, not counted" not in text
    latest = list(csv.reader(io.StringIO(s.uploads[f"circle-{choices[0]['value']}-attendance.csv"].decode())))
    assert [row[2] for row in latest[1:]] == ["yes", "yes", "yes"]

    # One member's history.
    await s.slash("Rosa", "attendance member", member=user_option(lu))
    text = reply_of(s, "Rosa")
    assert f"<@{lu}>'s circles here" in text
    assert "Came to 2 circles" in text
    assert text.count(": came, took 2 turns") == 2
    assert "joined, not counted (left in round 1 before their turn)" in text

    # Members cannot see others' attendance.
    await s.slash("Ken", "attendance member", member=user_option(lu))
    assert "Only facilitators" in reply_of(s, "Ken")
    assert await autocomplete(s, "Ken", "attendance session", "circle", "") == []


async def test_milestones_are_private_once_and_public_only_by_choice(standin: FileKeepingStandIn) -> None:
    s = standin
    s.closed_dms.add(s.user_id("Lu"))
    await s.slash("Mia", "privacy celebrate", setting="on")
    assert "for everyone to see" in reply_of(s, "Mia")
    await three_weeks(s)
    ken, mia = s.user_id("Ken"), s.user_id("Mia")

    # Ken: a private note for his first circle, and for his third; nothing for the second (no milestone at 2).
    notes = [m["content"] for m in s.dms_to("Ken")]
    assert notes == [
        "You came to your first circle in **Peer Support Test**. Thank you for being there.",
        "You've now come to 3 circles in **Peer Support Test**. Thank you for showing up, for yourself and the group.",
    ]
    # Mia chose to celebrate: one line in the circle's channel instead, without a ping.
    assert s.dms_to("Mia") == []
    public = [m for m in s.bot_messages("circle-room") if "Thank you" in m["content"] and str(mia) in m["content"]]
    assert [m["content"] for m in public] == [
        f"Welcome to your first circle, <@{mia}>. Thank you for being here.",
        f"<@{mia}> has come to 3 circles here. Thank you for showing up.",
    ]
    # Lu's DMs are closed: nothing is sent and nothing goes wrong; the milestone still counts as acknowledged.
    assert s.dms_to("Lu") == []
    assert s.bot is not None
    assert (await s.bot.store.members.get(s.guild_id, s.user_id("Lu"))).milestone == 1
    assert (await s.bot.store.members.get(s.guild_id, ken)).milestone == 3

    # Nothing repeats: a fourth circle crosses no milestone.
    await s.advance(WEEK)
    await session(s, lu_leaves=False)
    await s.advance(30)
    assert len(s.dms_to("Ken")) == 2


async def test_milestone_notes_are_spaced_out(standin: FileKeepingStandIn) -> None:
    s = standin
    await session(s, lu_leaves=False)
    # Three first-circle notes are due: they go one at a time, a few seconds apart, not in one burst.
    assert [len(s.dms_to(n)) for n in ("Ken", "Mia", "Lu")] == [0, 0, 0]
    await s.advance(0)
    assert [len(s.dms_to(n)) for n in ("Ken", "Mia", "Lu")] == [1, 0, 0]
    await s.advance(3)
    assert [len(s.dms_to(n)) for n in ("Ken", "Mia", "Lu")] == [1, 1, 0]
    await s.advance(3)
    assert [len(s.dms_to(n)) for n in ("Ken", "Mia", "Lu")] == [1, 1, 1]


async def test_a_cancelled_circle_never_breaks_a_streak(standin: FileKeepingStandIn) -> None:
    s = standin
    await session(s, lu_leaves=False)
    await s.advance(WEEK)
    # Week two: the facilitator opens a circle and calls it off before it starts; Ken had joined.
    await s.slash("Rosa", "circle open")
    await s.slash("Ken", "circle join")
    await s.slash("Rosa", "circle end")
    await s.slash("Rosa", "attendance session")
    assert "ended before it started" in reply_of(s, "Rosa")
    await s.advance(WEEK)
    await session(s, lu_leaves=False)
    await s.slash("Ken", "streak")
    text = reply_of(s, "Ken")
    assert "Circles you've come to: **2**" in text
    assert "Weeks in a row with a circle: **2** (your longest: 2)" in text


async def test_opting_out_stops_new_rows_and_changes_nothing_else(standin: FileKeepingStandIn) -> None:
    s = standin
    assert s.bot is not None
    await s.slash("Lu", "privacy tracking", setting="off")
    assert "stopped noting your attendance" in reply_of(s, "Lu")
    await open_and_start(s, "Ken", "Mia", "Lu", rounds=2)
    await s.slash("Mia", "circle pass")
    await finish_turn(s, "Ken")
    state = await circle_state(s)
    # The circle runs exactly the same for Lu: their turn comes in order.
    assert state.holder == s.user_id("Lu")
    await finish_turn(s, "Lu")
    await s.slash("Lu", "circle leave")
    state = await circle_state(s)
    assert s.user_id("Lu") not in state.participants
    await s.slash("Mia", "circle pass")
    await finish_turn(s, "Ken")
    rows = await s.bot.db.fetchall("SELECT user_id, kind FROM attendance_events")
    assert {r["user_id"] for r in rows} == {s.user_id("Ken"), s.user_id("Mia")}
    # No milestone note either: nothing was counted.
    await s.advance(30)
    assert s.dms_to("Lu") == []
    await s.slash("Lu", "streak")
    assert "Attendance tracking is off for you" in reply_of(s, "Lu")

    # Back on: the next circle counts.
    await s.slash("Lu", "privacy tracking", setting="on")
    await session(s, lu_leaves=False)
    await s.slash("Lu", "streak")
    assert "Circles you've come to: **1**" in reply_of(s, "Lu")
    # The choice survives a restart (the write path's set is loaded again at start-up).
    await s.slash("Lu", "privacy tracking", setting="off")
    await s.restart()
    await session(s, lu_leaves=False)
    count = await s.bot.db.fetchone("SELECT count(*) AS n FROM attendance_events WHERE user_id = ?", (s.user_id("Lu"),))
    assert count is not None
    assert count["n"] == 3  # joined and took two turns, in the one circle tracked


async def test_attendance_session_refuses_kindly(standin: FileKeepingStandIn) -> None:
    s = standin
    await s.slash("Rosa", "attendance session")
    assert "no circle here that has ended yet" in reply_of(s, "Rosa")
    await s.slash("Rosa", "circle open")
    await s.slash("Rosa", "attendance session", circle="9999")
    assert "couldn't find that circle" in reply_of(s, "Rosa")
    await s.slash("Rosa", "attendance session", circle="1")
    assert "still going" in reply_of(s, "Rosa")
    await s.slash("Rosa", "attendance session", circle="last tuesday")
    assert "couldn't find that circle" in reply_of(s, "Rosa")


async def test_streak_week_follows_the_server_timezone(standin: FileKeepingStandIn) -> None:
    """Sunday 23:30 and Monday 00:30 in Tonga (UTC+13) are two weeks there, though one UTC week."""
    s = standin
    await s.slash("Rosa", "config timezone", tz="Pacific/Tongatapu")
    # The stand-in starts on Tuesday 10 March 2026, 18:00 UTC = Wednesday 07:00 in Tonga. Go to Sunday 23:30 there
    # (Sunday 10:30 UTC), then an hour later it is Monday 00:30 there (still Sunday in UTC).
    now = s.clock.now()
    sunday_late = now.replace(day=15, hour=10, minute=30)
    await s.advance((sunday_late - now).total_seconds())
    await session(s, lu_leaves=False)
    await s.advance((sunday_late + timedelta(hours=1) - s.clock.now()).total_seconds())
    await session(s, lu_leaves=False)
    await s.slash("Ken", "streak")
    assert "Weeks in a row with a circle: **2**" in reply_of(s, "Ken")


async def test_a_circle_that_ended_while_the_bot_was_down_still_counts(standin: FileKeepingStandIn) -> None:
    s = standin
    await open_and_start(s, "Ken", "Mia")
    await finish_turn(s, "Ken")
    # The bot stops; meanwhile the circle's channel is deleted, so at start-up the circle is ended there and then.
    s.guild["channels"] = [c for c in s.guild["channels"] if c["name"] != "circle-room"]
    await s.restart()
    assert s.bot is not None
    row = await s.bot.db.fetchone("SELECT status FROM circles")
    assert row is not None and row["status"] == "ended"
    await s.slash("Ken", "streak", channel="general")
    assert "Circles you've come to: **1**" in reply_of(s, "Ken")
    # Mia held the stick when it ended: her turn counts as taken.
    await s.slash("Mia", "streak", channel="general")
    assert "Circles you've come to: **1**" in reply_of(s, "Mia")


async def test_an_untracked_member_who_leaves_is_still_known_to_have_left(standin: FileKeepingStandIn) -> None:
    """Voice circles stop keeping people quiet once they leave (the circle's own state): opting out must not change
    that, also across a restart, and coming back into the circle makes them one of the listeners again."""
    s = standin
    assert s.bot is not None
    await s.slash("Lu", "privacy tracking", setting="off")
    for name in ("Ken", "Mia", "Lu"):
        await s.voice(name, VOICE)
    await s.slash("Rosa", "circle open", channel=VOICE, turn_minutes=1)
    await s.slash("Rosa", "circle start", channel=VOICE)
    assert muted(s, "Lu") and muted(s, "Mia") and not muted(s, "Ken")

    await s.slash("Lu", "circle leave", channel=VOICE)
    assert not muted(s, "Lu"), "someone who left the circle stays in the channel to listen, unmuted"
    state = await circle_state(s, VOICE)
    assert state.left == {s.user_id("Lu")}
    row = await s.bot.db.fetchone("SELECT id FROM circles")
    assert row is not None
    assert s.user_id("Lu") not in {e.user_id for e in await s.bot.store.attendance.for_circle(row["id"])}

    await s.advance(60)  # the stick moves on: Lu is still not kept quiet
    assert (await circle_state(s, VOICE)).holder == s.user_id("Mia")
    assert not muted(s, "Lu") and muted(s, "Ken")
    await s.restart()
    assert not muted(s, "Lu") and muted(s, "Ken") and not muted(s, "Mia")

    # Back in, and back in the circle: quiet like everyone who is listening.
    await s.slash("Lu", "circle join", channel=VOICE)
    assert (await circle_state(s, VOICE)).left == frozenset()
    assert muted(s, "Lu")


# --- series streaks ------------------------------------------------------------------------------------------


async def series_session(s: StandIn, start: datetime, *names: str) -> None:
    """A session of a recurring circle that starts by itself: `names` join before it, then pass every turn."""
    await until(s, start - timedelta(minutes=5))
    for name in names:
        await s.slash(name, "circle join")
    await until(s, start)
    by_id = {s.user_id(name): name for name in names}
    for _ in range(20):
        state = await circle_state(s)
        if state.status == Status.ENDED:
            return
        assert state.holder in by_id, "the series circle should have started by itself"
        await s.slash(by_id[state.holder], "circle pass")
    raise AssertionError("the circle did not end")


async def test_a_skipped_session_never_breaks_a_series_streak(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue,thu 19:00", auto_start=True)
        await series_session(s, london(2026, 3, 10, 19, 0), "Ken", "Mia")
        await series_session(s, london(2026, 3, 12, 19, 0), "Ken")  # Mia stays away
        await series_session(s, london(2026, 3, 17, 19, 0), "Ken", "Mia")
        # A facilitator calls off Thursday's session: nobody comes, and nobody's streak breaks.
        await s.slash("Rosa", "circle skip-session", series="1", date="2026-03-19")
        assert "is skipped" in s.last_reply("Rosa")["content"]
        await series_session(s, london(2026, 3, 24, 19, 0), "Ken", "Mia")
        await s.advance(30)

        # Ken came to all four sessions held: four in a row (a freeze earned), longer than his three weeks.
        await s.slash("Ken", "streak")
        text = reply_of(s, "Ken")
        assert "Your streak: **4 Grief circle sessions in a row**" in text
        assert "Circles you've come to: **4**" in text
        assert "Weeks in a row with a circle: **3** (your longest: 3)" in text
        assert "Grief circle sessions in a row: **4** (your longest: 4)" in text
        assert "**0** of 2 for your weeks, **1** of 2 for Grief circle" in text

        # Mia missed a session that was held: that one broke her series streak, with no freeze saved yet. Her
        # three weeks in a row are the headline.
        await s.slash("Mia", "streak")
        text = reply_of(s, "Mia")
        assert "Your streak: **3 weeks in a row**" in text
        assert "Grief circle sessions in a row: **2** (your longest: 2)" in text


async def test_sessions_the_bot_missed_never_break_a_series_streak(tmp_path: Path) -> None:
    async with standin_at(tmp_path) as s:
        await schedule(s, "weekly tue 19:00", auto_start=True)
        await series_session(s, london(2026, 3, 10, 19, 0), "Ken")
        # Down over the next Tuesday's opening: that session is missed by the bot, not by Ken.
        await until(s, london(2026, 3, 17, 18, 0))
        await restart_after(s, 3 * 3600)
        await series_session(s, london(2026, 3, 24, 19, 0), "Ken")
        await s.slash("Ken", "streak")
        text = reply_of(s, "Ken")
        assert "Grief circle sessions in a row: **2** (your longest: 2)" in text
        # The week the bot missed held no circle, so it breaks no weekly streak either.
        assert "Weeks in a row with a circle: **2** (your longest: 2)" in text
