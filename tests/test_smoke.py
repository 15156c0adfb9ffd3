"""Every extension loads; command names are unique; the domain never imports discord."""

from __future__ import annotations

import ast
from pathlib import Path

from discord import app_commands

from bot.app import EXTENSIONS
from bot.testing import StandIn

ROOT = Path(__file__).resolve().parent.parent


async def test_every_extension_loads_and_command_names_are_unique(discord_standin: StandIn) -> None:
    bot = discord_standin.bot
    assert bot is not None
    assert set(bot.extensions) == set(EXTENSIONS)
    top = [c.name for c in bot.tree.get_commands()]
    assert len(top) == len(set(top)), top
    for command in bot.tree.get_commands():
        if isinstance(command, app_commands.Group):
            names = [c.name for c in command.commands]
            assert len(names) == len(set(names)), (command.name, names)
            assert command.guild_only, f"/{command.name} should be guild-only"


def test_every_cog_package_is_an_extension() -> None:
    packages = {f"cogs.{p.name}" for p in (ROOT / "cogs").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(EXTENSIONS)


def test_domain_imports_no_discord_and_no_settings() -> None:
    offenders = []
    for path in (ROOT / "bot" / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in {"discord", "aiosqlite", "apscheduler"} or name.startswith(
                    ("bot.settings", "bot.app", "bot.db", "cogs")
                ):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []
