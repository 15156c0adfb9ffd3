"""Repositories: named queries, one class per area. All SQL of the project lives under `bot/db`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.db.repos.attendance import AttendanceRepo
from bot.db.repos.circles import CircleRepo
from bot.db.repos.guilds import GuildConfigRepo

if TYPE_CHECKING:
    from bot.db.database import Database


def attach_repositories(db: Database) -> None:
    db.guilds = GuildConfigRepo(db)  # type: ignore[attr-defined]
    db.circles = CircleRepo(db)  # type: ignore[attr-defined]
    db.attendance = AttendanceRepo(db)  # type: ignore[attr-defined]
