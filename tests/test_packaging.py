"""What the Dockerfile, compose.yaml and the systemd units run is what the README documents.

The README is the front door: its "Two commands" table says how the bot runs, its Settings table lists every
setting. Each way of deploying must run that same command and set only documented settings (with values the
settings accept), every documented setting must exist in `bot/settings.py` and every setting there must be
documented, and `.env.example` must list exactly the documented ones.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import ValidationError

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
UNIT = ROOT / "deploy" / "empathy-circles.service"
BACKUP_UNIT = ROOT / "deploy" / "empathy-circles-backup.service"
BACKUP_TIMER = ROOT / "deploy" / "empathy-circles-backup.timer"
# Variables for Python and pip themselves, not settings of the bot.
RUNTIME_VARIABLES = re.compile(r"^(PYTHON[A-Z_]*|PIP_[A-Z_]+|PATH|VIRTUAL_ENV)$")


# The README ---------------------------------------------------------------------------------------------------


def _section(heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## )", README, re.M | re.S)
    assert match is not None, f"the README has no '## {heading}' section"
    return match.group(1)


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def readme_run_command() -> tuple[list[str], list[str]]:
    """The README's run command: its install steps, and the command that runs the bot (as argv)."""
    for what, command in _table_rows(_section("Two commands"))[1:]:
        if "run the bot" in what:
            steps = [step.strip() for step in command.strip("`").split("&&")]
            return steps[:-1], shlex.split(steps[-1])
    raise AssertionError("the README's Two commands table has no 'run the bot' row")


def documented_settings() -> dict[str, str]:
    """Setting name -> its documented default, from the README's Settings table."""
    rows = _table_rows(_section("Settings"))
    assert rows[0][:2] == ["setting", "default"], rows[0]
    found = {}
    for name, default, *_ in rows[1:]:
        match = re.fullmatch(r"`([A-Z_]+)`", name)
        assert match is not None, f"not a setting name: {name}"
        found[match.group(1)] = default
    return found


def settings_fields() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _accepted(values: dict[str, str], where: str) -> None:
    """The settings accept these values, as the bot would read them from the environment."""
    try:
        Settings(_env_file=None, **{k.lower(): v for k, v in values.items()})  # type: ignore[arg-type]
    except ValidationError as exc:
        pytest.fail(f"{where} sets a value the bot refuses: {exc}")


def _only_settings(names: set[str], where: str) -> None:
    settings = {n for n in names if not RUNTIME_VARIABLES.match(n)}
    undocumented = settings - set(documented_settings())
    assert not undocumented, f"{where} sets {sorted(undocumented)}, which the README's Settings table does not list"


def test_every_documented_setting_exists_and_every_setting_is_documented() -> None:
    documented = documented_settings()
    assert {"DISCORD_TOKEN", "DATABASE_PATH", "HEALTH_PORT", "HEALTH_HOST"} <= set(documented)
    assert set(documented) - settings_fields() == set(), "documented, but bot/settings.py has no such setting"
    assert settings_fields() - set(documented) == set(), "in bot/settings.py, but missing from the README's table"


def test_the_documented_defaults_are_the_real_ones() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for name, documented in documented_settings().items():
        value = getattr(defaults, name.lower())
        if documented in ("none", "empty"):
            assert value is None, f"{name}: the README says {documented}, the default is {value!r}"
        else:
            assert documented.strip("`") == str(value), f"{name}: the README says {documented}, not {value!r}"


def test_env_example_lists_exactly_the_documented_settings() -> None:
    keys = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(documented_settings())


# The Dockerfile -----------------------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        instructions.append((word.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends in a continuation"
    return instructions


def _docker(instruction: str) -> list[str]:
    return [args for word, args in dockerfile() if word == instruction]


def _docker_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in _docker("ENV"):
        for pair in shlex.split(args):
            key, sep, value = pair.partition("=")
            assert sep, f"ENV {args}: use KEY=value"
            env[key] = value
    return env


def test_the_dockerfile_runs_the_readme_command_as_a_non_root_user() -> None:
    install, run = readme_run_command()
    assert _docker("FROM") and _docker("FROM")[0].startswith("python:3.11-slim")
    cmd = _docker("CMD")
    assert len(cmd) == 1 and json.loads(cmd[0]) == run, "CMD is not the README's run command (exec form)"
    assert _docker("WORKDIR") == ["/app"]  # the README's command runs from the project folder: .venv is there
    runs = " && ".join(_docker("RUN"))
    assert install[0] in runs  # python3 -m venv .venv
    pip = next(step for step in install if "pip install" in step)
    # The README's pip install, with the lock as constraints: the same pins without the test tools.
    assert pip.replace("-r requirements.lock", "-c requirements.lock") in runs
    users = _docker("USER")
    assert users and users[-1] not in ("root", "0")
    assert "STOPSIGNAL SIGTERM" in [f"{w} {a}" for w, a in dockerfile()]


def test_the_dockerfile_sets_only_documented_settings_and_keeps_the_database_on_its_volume() -> None:
    env = _docker_env()
    _only_settings(set(env), "the Dockerfile")
    _accepted({k: v for k, v in env.items() if not RUNTIME_VARIABLES.match(k)}, "the Dockerfile")
    volumes = [v for args in _docker("VOLUME") for v in json.loads(args)]
    assert str(Path(env["DATABASE_PATH"]).parent) in volumes
    assert "HEALTH_PORT" in env


async def test_the_docker_healthcheck_asks_healthz_and_fails_on_503() -> None:
    (check,) = _docker("HEALTHCHECK")
    command = json.loads(check.split("CMD", 1)[1])
    assert command[0] == readme_run_command()[1][0]  # the image's own Python
    assert "/healthz" in " ".join(command) and "HEALTH_PORT" in " ".join(command)
    status = {"now": 200}

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(status=status["now"], text="{}")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        env = {"HEALTH_PORT": str(server.port)}
        assert await _run_check([sys.executable, *command[1:]], env) == 0
        status["now"] = 503
        assert await _run_check([sys.executable, *command[1:]], env) != 0
    finally:
        await server.close()


async def _run_check(argv: list[str], env: dict[str, str]) -> int:
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(proc.wait(), 30)


def test_the_image_leaves_out_secrets_and_local_databases() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for pattern in (".env", ".venv/", ".git/", "data/*.db", "data/*.db-*", "data/backups/"):
        assert pattern in ignored, f".dockerignore must leave out {pattern}"


# compose.yaml -------------------------------------------------------------------------------------------------


def _yaml(text: str) -> Any:
    """The little YAML compose.yaml uses: nested `key: value` mappings and `- item` lists of plain scalars."""
    lines = []
    for raw in text.splitlines():
        stripped = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if stripped.strip():
            lines.append((len(stripped) - len(stripped.lstrip()), stripped.strip()))

    def scalar(value: str) -> str:
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else value

    def block(index: int, indent: int) -> tuple[Any, int]:
        if lines[index][1].startswith("- "):
            items: list[str] = []
            while index < len(lines) and lines[index][0] == indent and lines[index][1].startswith("- "):
                items.append(scalar(lines[index][1][2:].strip()))
                index += 1
            return items, index
        mapping: dict[str, Any] = {}
        while index < len(lines) and lines[index][0] == indent:
            key, sep, value = lines[index][1].partition(":")
            assert sep and not key.startswith("- "), f"compose.yaml: cannot read {lines[index][1]!r}"
            index += 1
            if value.strip():
                mapping[key] = scalar(value.strip())
            elif index < len(lines) and lines[index][0] > indent:
                mapping[key], index = block(index, lines[index][0])
            else:
                mapping[key] = None
        return mapping, index

    parsed, end = block(0, lines[0][0])
    assert end == len(lines), f"compose.yaml: cannot read {lines[end][1]!r}"
    return parsed


def test_compose_runs_the_image_command_with_documented_settings_on_a_volume() -> None:
    compose = _yaml((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    (bot,) = compose["services"].values()
    assert bot["build"] == "."
    assert "command" not in bot and "entrypoint" not in bot, "compose must run the Dockerfile's CMD unchanged"
    assert bot["env_file"] == ".env"
    env = bot["environment"]
    _only_settings(set(env), "compose.yaml")
    _accepted(env, "compose.yaml")
    assert env["DATABASE_PATH"] == _docker_env()["DATABASE_PATH"]
    mounts = {volume.split(":", 1)[1] for volume in bot["volumes"]}
    assert str(Path(env["DATABASE_PATH"]).parent) in mounts
    assert set(compose["volumes"]) == {volume.split(":", 1)[0] for volume in bot["volumes"]}
    assert int(bot["stop_grace_period"].rstrip("s")) >= 10  # time for a clean stop


# systemd ------------------------------------------------------------------------------------------------------


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def _unit_env(unit: configparser.ConfigParser) -> dict[str, str]:
    env: dict[str, str] = {}
    for assignment in shlex.split(unit["Service"].get("Environment", "")):
        key, _, value = assignment.partition("=")
        env[key] = value
    return env


def test_the_systemd_unit_runs_the_readme_command_in_its_folder_with_documented_settings() -> None:
    _, run = readme_run_command()
    unit = _unit(UNIT)
    service = unit["Service"]
    folder = Path(service["WorkingDirectory"])
    assert shlex.split(service["ExecStart"]) == [str(folder / run[0]), *run[1:]]
    assert service["User"] not in ("root", "0")
    env = _unit_env(unit)
    _only_settings(set(env), UNIT.name)
    _accepted(env, UNIT.name)
    # The database lives in the unit's StateDirectory, the one place it may write.
    assert Path(env["DATABASE_PATH"]).parent == Path("/var/lib") / service["StateDirectory"]
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 10
    assert "2" in service["RestartPreventExitStatus"].split()


def test_the_backup_unit_runs_the_readme_backup_command_on_the_same_database() -> None:
    _, run = readme_run_command()
    assert f"`{' '.join(run)} backup [PATH]`" in README  # documented under Settings, Backups
    unit = _unit(BACKUP_UNIT)
    folder = Path(unit["Service"]["WorkingDirectory"])
    assert shlex.split(unit["Service"]["ExecStart"]) == [str(folder / run[0]), *run[1:], "backup"]
    env = _unit_env(unit)
    _only_settings(set(env), BACKUP_UNIT.name)
    assert env == _unit_env(_unit(UNIT)) and unit["Service"]["User"] == _unit(UNIT)["Service"]["User"]
    assert _unit(BACKUP_TIMER)["Timer"]["OnCalendar"]


def test_systemd_reads_the_units_without_complaint(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in (UNIT, BACKUP_UNIT, BACKUP_TIMER):
        shutil.copy(unit, tmp_path / unit.name)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in (UNIT, BACKUP_UNIT, BACKUP_TIMER))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # The bot is not installed in /srv on this machine; everything else must read cleanly.
        if line.strip() and "is not executable" not in line
    ]
    assert complaints == []


# The README's Deploying section -------------------------------------------------------------------------------


def test_the_readme_says_how_to_deploy_back_up_and_answer_the_intent_review() -> None:
    deploying = _section("Deploying")
    for mentioned in ("Dockerfile", "compose.yaml", "deploy/empathy-circles.service", "HEALTHCHECK", "/healthz"):
        assert mentioned in deploying, f"Deploying does not mention {mentioned}"
    assert "(#backups)" in deploying
    assert "empathy-circles-backup.timer" in deploying
    review = deploying.split("### When Discord reviews the Message Content intent", 1)[1]
    assert "Message Content only" in review and "never stored" in review
    assert "/privacy delete" in review
