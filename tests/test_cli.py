"""The command line: `run` without a token, `check`, and `replay` with the shared scenarios and faults."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.checks import run_check
from bot.permissions import REQUIRED_PERMISSIONS, permissions_needed

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT.parent / "shared" / "scenarios"


def _run(*args: str, cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_run_without_a_token_explains_and_exits_2(tmp_path: Path) -> None:
    result = _run(cwd=tmp_path)
    assert result.returncode == 2
    assert "developer" in result.stderr and "Message Content" in result.stderr and "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_check_prints_intents_and_an_invite_with_exactly_the_listed_permissions(tmp_path: Path) -> None:
    result = _run("check", cwd=tmp_path, env_extra={"DATABASE_PATH": str(tmp_path / "x.db")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Message Content" in result.stdout
    match = re.search(r"permissions=(\d+)", result.stdout)
    assert match is not None
    value = int(match.group(1))
    expected = 0
    for need in REQUIRED_PERMISSIONS:
        import discord

        expected |= getattr(discord.Permissions, need.flag).flag
    assert value == expected == permissions_needed().value


def test_check_names_a_malformed_data_file(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / "data" / "crisis_resources.toml", tmp_path / "data" / "crisis_resources.toml")
    deck = tmp_path / "prompts" / "gratitude.toml"
    deck.write_text(
        deck.read_text(encoding="utf-8").replace('depth = "light"', 'depth = "deeper"', 1), encoding="utf-8"
    )
    lines: list[str] = []
    assert run_check(lines.append, root=tmp_path) == 1
    problem = next(line for line in lines if line.startswith("Data file problem"))
    assert "gratitude.toml" in problem and "deeper" in problem


def test_check_names_a_bad_setting(tmp_path: Path) -> None:
    result = _run("check", cwd=tmp_path, env_extra={"LOG_LEVEL": "LOUD"})
    assert result.returncode != 0
    assert "LOG_LEVEL" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["config_basics.json", "text_circle_pass.json"])
def test_shared_scenarios_replay_unchanged_with_exit_0(tmp_path: Path, name: str) -> None:
    scenario = SCENARIOS / name
    if not scenario.exists():
        pytest.skip("../shared/scenarios is not beside this checkout")
    result = _run("replay", str(scenario), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all({"step", "method", "path", "params", "json"} <= set(line) for line in lines)
    assert any(line["path"] == "/interactions/{webhook_id}/{webhook_token}/callback" for line in lines)


def _scenario_with(steps: list[dict[str, object]]) -> dict[str, object]:
    base = json.loads((ROOT / "docs" / "demo_circle.json").read_text(encoding="utf-8"))
    base["steps"] = steps
    return base


def test_replay_exits_1_when_a_handler_raises_and_fail_steps_apply(tmp_path: Path) -> None:
    demo = json.loads((ROOT / "docs" / "demo_circle.json").read_text(encoding="utf-8"))
    first = demo["steps"][0]  # Rosa opens a circle
    scenario = _scenario_with(
        [
            {
                "fail": {
                    "method": "POST",
                    "path": "/interactions/{webhook_id}/{webhook_token}/callback",
                    "status": 403,
                    "code": 50013,
                }
            },
            first,
        ]
    )
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    result = _run("replay", str(path), cwd=tmp_path)
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    errors = [line for line in lines if "error" in line]
    assert errors and all(line["step"] == 1 for line in errors)
    assert any("Forbidden" in line["error"] or "403" in line["error"] for line in errors)
    callbacks = [line for line in lines if line.get("path", "").endswith("/callback")]
    assert callbacks and callbacks[0]["step"] == 1
