"""Building the bot: dependencies in, nothing connects until `start`/`login` is called."""

from __future__ import annotations

import gc
import logging
import random
from typing import Any

import discord
from discord.ext import commands

from bot.clock import Clock, SystemClock
from bot.db.database import Database
from bot.db.store import Store
from bot.domain.crisis import Screen
from bot.domain.resources import Resources, default_resources_path, load_resources
from bot.features import Features
from bot.pacing import RestPacer, paced
from bot.permissions import intents
from bot.scheduling import Scheduler
from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "cogs.errors",
    "cogs.admin",
    "cogs.circles",
    "cogs.prompts",
    "cogs.guidelines",
    "cogs.crisis",
    "cogs.onboarding",
    "cogs.streaks",
    "cogs.privacy",
    "cogs.messages",
)


class CircleBot(commands.AutoShardedBot):
    """The Empathy Circles bot: settings, clock, database and scheduler hang off it; cogs reach them here."""

    db: Database
    store: Store

    def __init__(self, settings: Settings, *, clock: Clock | None = None, **options: Any) -> None:
        options.setdefault("intents", intents())
        options.setdefault("allowed_mentions", discord.AllowedMentions(everyone=False, roles=False, users=True))
        options.setdefault("help_command", None)
        # Where random choices (which prompt opens a round) come from; tests and replays pass a seeded one.
        rng: random.Random | None = options.pop("rng", None)
        self._freeze_memory = bool(options.pop("freeze_memory", False))
        # Sharded from the start: one shard until Discord recommends more (or SHARD_COUNT/SHARD_IDS say otherwise).
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            options.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(command_prefix=commands.when_mentioned, **options)
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.scheduler = Scheduler(self.clock)
        # One budget for every REST call of every shard (bot/pacing.py).
        self.pacer = RestPacer()
        self.rng: random.Random = rng or random.Random()
        # Crisis helplines per country (validated data; `python -m bot check` reports a broken or stale file).
        self.resources: Resources = load_resources(default_resources_path())
        # The crisis screen (validated lexicon; pure and thread-safe, shared by every cog that reads messages).
        self.screen: Screen = Screen.load()
        self._db: Database | None = None
        # Where features meet: each extension's setup() fills its slot (bot/features.py).
        self.features = Features()

    async def setup_hook(self) -> None:
        # discord.py has no hook before a REST call, so the pacer wraps the client's one request method, once, here
        # (after login, and after the offline stand-in put its own answer there: tests are paced like production).
        if getattr(self.http.request, "__wrapped__", None) is None:  # once, even if setup_hook ran again
            self.http.request = paced(self.pacer, self.http.request)  # type: ignore[method-assign,assignment]
        self.db = self._db = await Database.open(self.settings.database_path)
        version = await self.db.migrate()
        self.store = Store(self.db)
        log.info("database ready at schema version %s", version)
        self.scheduler.start()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self._freeze_memory:
            # What is loaded by now (the crisis lexicon, prompt decks, resources, cogs) lives as long as the
            # process: freeze it, so the garbage collector's full passes stop walking it (20 ms pauses otherwise).
            # Only for the real process: tests build many bots in one interpreter and must let old ones go.
            gc.collect()
            gc.freeze()
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to the development server", len(synced))

    async def close(self) -> None:
        """Stop cleanly: no timer fires, work under way finishes (bounded), then Discord and the database close.

        Work is given its time while Discord is still connected, so a turn change under way posts its announcement.
        What is cut off is left to the next start, which rebuilds every job from the database.
        """
        await self.scheduler.shutdown()
        await super().close()
        db, self._db = self._db, None
        if db is not None:
            await db.close()

    @property
    def db_open(self) -> bool:
        return self._db is not None


def create_bot(settings: Settings, *, clock: Clock | None = None, **client_options: Any) -> CircleBot:
    """Return the bot, configured and not connected to anything."""
    return CircleBot(settings, clock=clock, **client_options)
