"""The repositories as one typed bundle, wired explicitly over one `Database`.

`Database` knows connections, migrations and transactions and nothing of any table; each repository knows its own
tables and takes the database (and, where it needs one, another repository) in its constructor. This module is
the only place that builds them, so nothing imports in a circle.
"""

from __future__ import annotations

from pathlib import Path

from bot.db.database import Database
from bot.db.repos.attendance import AttendanceRepo
from bot.db.repos.circles import CircleRepo
from bot.db.repos.crisis import CrisisRepo
from bot.db.repos.guidelines import GuidelinesRepo
from bot.db.repos.guilds import GuildConfigRepo
from bot.db.repos.members import MemberPrefsRepo
from bot.db.repos.onboarding import OnboardingRepo
from bot.db.repos.prompts import PromptRepo
from bot.db.repos.series import SeriesRepo
from bot.db.repos.voice import VoiceRepo


class Store:
    """Every repository of the bot, over one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.guilds = GuildConfigRepo(db)
        self.circles = CircleRepo(db)
        self.attendance = AttendanceRepo(db)
        # Members' tracking choices are mirrored in the attendance repository's write path.
        self.members = MemberPrefsRepo(db, self.attendance)
        self.guidelines = GuidelinesRepo(db)
        self.prompts = PromptRepo(db)
        self.crisis = CrisisRepo(db)
        self.voice = VoiceRepo(db)
        self.series = SeriesRepo(db)
        self.onboarding = OnboardingRepo(db)

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Store:
        """Open the database file (applying the migrations unless told not to) and wire the repositories."""
        db = await Database.open(path)
        if migrate:
            await db.migrate()
        return cls(db)

    async def close(self) -> None:
        await self.db.close()
