"""`python -m bot demo`: the shipped circle plays offline and tells what each person sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.demo import OUTRO, SCENARIO, duration, relative, run_demo
from bot.replay import run_replay_file
from bot.testing import DISCORD_EPOCH_MS

ROOT = Path(__file__).resolve().parent.parent
POSTERS = "who can post in #circle-room now:"


def test_demo_tells_the_whole_circle(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo() == 0
    out = capsys.readouterr().out
    lines = out.splitlines()

    # The card, with its buttons, and the ephemeral replies only one person sees.
    assert 'Circlekeeper: the card "🪶 A talking-stick circle is open"' in out
    assert "buttons: [Join] [Leave] [I'm done] [Pass my turn]" in out
    assert "Ken presses [Join] on the card" in out
    assert 'only Rosa sees: "Your circle is open in #circle-room. When people have joined, use `/circle start`."' in out
    assert "only Ken sees: \"You're in." in out
    assert "only Mia sees: \"Noted: you'll pass your coming turn." in out
    # Turn announcements name the member, with the countdown read from the stand-in's clock.
    assert "@Ken, the stick is yours. Share if you'd like, or pass. Time ends in 1 minute." in out
    assert "@Ken, a gentle heads-up: your time ends in 20 seconds." in out
    assert "@Lu, the stick is yours" in out  # Mia passed, so the stick skipped her
    assert "<@" not in out and "<t:" not in out and "<#" not in out
    # Who can post changes as the stick moves, and the channel is open to all again at the end.
    posters = [line.split(POSTERS, 1)[1].strip() for line in lines if POSTERS in line]
    assert posters[0] == "everyone"
    assert "Rosa (owner), Ken, Circlekeeper (the bot)" in posters
    assert "Rosa (owner), Lu, Circlekeeper (the bot)" in posters
    assert posters[-1] == "everyone"
    # The pause, the resume and the end.
    assert "Rosa: /circle pause" in out
    assert "The circle is paused. @Ken keeps the stick and their time is held." in out
    assert "The circle continues. @Ken, your time ends in 40 seconds." in out
    assert "The circle has closed. Thank you all for sharing and for listening." in out
    assert "(greyed out)" in out
    assert lines[-1] == OUTRO


def test_python_m_bot_demo_runs_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert OUTRO in done.stdout
    assert done.stderr == ""


def test_the_demo_script_is_a_replay_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert SCENARIO == ROOT / "docs" / "demo_circle.json"
    assert run_replay_file(str(SCENARIO)) == 0
    calls = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert calls and all("error" not in call for call in calls)


def test_the_demo_ids_carry_their_moment_on_the_scenario_clock() -> None:
    scenario = json.loads(SCENARIO.read_text(encoding="utf-8"))
    now = datetime.fromisoformat(scenario["start_time"])
    ids: set[str] = set()
    for step in scenario["steps"]:
        if "advance" in step:
            now += timedelta(seconds=step["advance"])
            continue
        snowflake = step["d"]["id"]
        assert snowflake not in ids
        ids.add(snowflake)
        made = DISCORD_EPOCH_MS + (int(snowflake) >> 22)
        assert made == int(now.timestamp() * 1000)


def test_a_missing_script_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(tmp_path / "nowhere.json") == 2
    assert "demo script" in capsys.readouterr().err


def test_relative_times_and_durations_read_like_discord() -> None:
    t = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert relative(t + timedelta(seconds=60), t) == "in 1 minute"
    assert relative(t + timedelta(seconds=40), t) == "in 40 seconds"
    assert relative(t - timedelta(seconds=1), t) == "1 second ago"
    assert relative(t, t) == "now"
    assert relative(t + timedelta(minutes=5), t) == "in 5 minutes"
    assert duration(20) == "20 seconds"
    assert duration(91) == "1 minute 31 seconds"
    assert duration(120) == "2 minutes"
