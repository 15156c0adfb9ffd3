"""`python -m bot replay SCENARIO.json`: feed a scenario to the bot on the offline stand-in.

Prints one JSON line per REST call the bot made and one per logged error; exits 1 if any error was logged.
The scenario format is documented in docs/replay.md.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.testing import StandIn, button_id


class ScenarioError(Exception):
    """The scenario file is not in the replay format."""


def _substitute(value: Any, standin: StandIn) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, standin) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, standin) for v in value]
    if isinstance(value, str) and value.startswith("$"):
        kind, _, arg = value[1:].partition(":")
        try:
            if kind == "last_message":
                return _clean(standin.last_message(int(arg)))
            if kind == "last_message_id":
                return standin.last_message(int(arg))["id"]
            if kind == "last_reply":
                return _clean(standin.last_reply(int(arg)))
        except KeyError as exc:
            raise ScenarioError(f"{value}: {exc}") from None
    return value


def _clean(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if not k.startswith("_")}


def _fill_buttons(step: dict[str, Any]) -> None:
    data = step.get("d")
    if not isinstance(data, dict):
        return
    component = data.get("data")
    if isinstance(component, dict) and isinstance(component.get("custom_id"), str):
        custom_id = component["custom_id"]
        if custom_id.startswith("$button:"):
            message = data.get("message")
            if not isinstance(message, dict):
                raise ScenarioError("a $button: step needs the message it refers to")
            try:
                component["custom_id"] = button_id(message, custom_id[len("$button:") :])
            except KeyError as exc:
                raise ScenarioError(str(exc)) from None


def prepare_step(raw: dict[str, Any], standin: StandIn) -> dict[str, Any]:
    """The step with its `$last_message`, `$last_reply` and `$button:` placeholders filled in."""
    step: dict[str, Any] = _substitute(raw, standin)
    _fill_buttons(step)
    return step


async def perform_step(standin: StandIn, index: int, step: dict[str, Any]) -> None:
    """Carry out one prepared scenario step on the stand-in."""
    if "advance" in step:
        await standin.advance(float(step["advance"]))
    elif "fail" in step:
        fail = dict(step["fail"])
        standin.fail(fail.pop("method"), fail.pop("path"), int(fail.pop("status")), **fail)
    elif step.get("restart"):
        await standin.restart()
    elif "t" in step:
        await standin.feed(step["t"], step["d"])
    else:
        raise ScenarioError(f"step {index} is not an event, advance, fail or restart step")


async def replay(scenario: dict[str, Any], database_path: str, emit: Callable[[dict[str, Any]], None]) -> int:
    """Run the scenario; call `emit` with each output line; return the number of errors logged."""
    start = scenario.get("start_time")
    standin = StandIn(
        database_path=database_path,
        start_time=datetime.fromisoformat(start) if start else None,
        guild=scenario.get("guild"),
        guilds=scenario.get("guilds"),
        shards=scenario.get("shards", 1),
        bot_user=scenario.get("bot_user"),
        settings=scenario.get("settings") or {},
    )
    printed_calls = 0
    printed_errors = 0

    def flush() -> None:
        nonlocal printed_calls, printed_errors
        for call in standin.calls[printed_calls:]:
            emit(call.line())
        printed_calls = len(standin.calls)
        for step, error in standin.errors[printed_errors:]:
            emit({"step": step, "error": error})
        printed_errors = len(standin.errors)

    try:
        await standin.start()
        flush()
        for index, raw in enumerate(scenario.get("steps", [])):
            standin.step = index
            await perform_step(standin, index, prepare_step(raw, standin))
            flush()
    finally:
        await standin.close()
        flush()
    return len(standin.errors)


def load_scenario(path: str | Path) -> dict[str, Any]:
    try:
        scenario = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read it ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(scenario, dict) or not isinstance(scenario.get("steps", []), list):
        raise ScenarioError(f"{path}: a scenario is an object with a list of steps")
    shards = scenario.get("shards", 1)
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= 64:
        raise ScenarioError(f'{path}: "shards" is a whole number of shards, from 1 to 64')
    guilds = scenario.get("guilds")
    if guilds is not None:
        if "guild" in scenario:
            raise ScenarioError(f'{path}: give either "guild" or "guilds", not both')
        if not isinstance(guilds, list) or not guilds or not all(isinstance(g, dict) and "id" in g for g in guilds):
            raise ScenarioError(f'{path}: "guilds" is a list of GUILD_CREATE objects, each with an id')
    return scenario


def run_replay_file(path: str) -> int:
    import logging

    # Errors are printed as JSON lines by the stand-in's own handler, not as log text.
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    root.addHandler(logging.NullHandler())
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2

    def emit(line: dict[str, Any]) -> None:
        print(json.dumps(line, ensure_ascii=False), flush=True)

    with tempfile.TemporaryDirectory() as folder:
        overrides = scenario.get("settings") or {}
        database = overrides.get("database_path") or str(Path(folder) / "replay.db")
        try:
            errors = asyncio.run(replay(scenario, database, emit))
        except ScenarioError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
    return 1 if errors else 0
