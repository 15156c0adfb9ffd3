"""The guidelines' facade: what the feature offers the others (`bot.features.guidelines`), over its parts.

The rules themselves (folding, matching, the ladder, who may warn whom) are in `bot.domain.guidelines`. The shell
is in small parts, each loading what the database holds, asking the domain, recording a case and making Discord
match; this class holds one of each and answers by the names the cogs use:

- filtering (`cogs/guidelines/filtering.py`): `filters`, `forget_filters`, `check_message`
- warnings (`cogs/guidelines/warnings.py`): `plan`, `give_warning`, `pardon`
- the mod log (`cogs/guidelines/modlog.py`): `open_case`, `post_case`
- the agreements (`cogs/guidelines/rules.py`): `save_rules`, `save_rules_from_setup`
- the rules gate (`cogs/guidelines/gate.py`): `rules_accepted`, `agree`

The crisis screen is asked before any filter acts: a message it flags is never deleted, never warned about, never
reaches the mod log.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from cogs.guidelines import gate
from cogs.guidelines.filtering import Filtering
from cogs.guidelines.gate import Gate, Then
from cogs.guidelines.modlog import ModLog
from cogs.guidelines.rules import Agreements
from cogs.guidelines.warnings import Warnings

if TYPE_CHECKING:
    import discord

    from bot.app import CircleBot
    from bot.features import MessageFacts

log = logging.getLogger(__name__)


class GuidelineService:
    """What the guidelines offer the other features (`bot.features.guidelines`), and the work behind its commands."""

    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self.gate = Gate()
        self.modlog = ModLog(bot)
        self.warnings = Warnings(bot, self.modlog)
        self.filtering = Filtering(bot, self.warnings, self.modlog)
        self.agreements = Agreements(bot, self.modlog)
        # The parts' own methods, by the names the cogs have always used (each keeps its signature).
        self.filters = self.filtering.filters
        self.forget_filters = self.filtering.forget_filters
        self.plan = self.warnings.plan
        self.give_warning = self.warnings.give_warning
        self.pardon = self.warnings.pardon
        self.open_case = self.modlog.open_case
        self.post_case = self.modlog.post_case
        self.save_rules = self.agreements.save_rules
        self.save_rules_from_setup = self.agreements.save_rules_from_setup

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    # What the other features call (bot/features.py: GuidelinesFeature) -------------------------------------------

    async def rules_accepted(self, interaction: discord.Interaction, then: Then) -> bool:
        return await gate.rules_accepted(self, interaction, then)

    async def agree(self, interaction: discord.Interaction, version: int, token: int) -> None:
        await gate.agree(self, interaction, version, token)

    async def check_message(self, facts: MessageFacts) -> None:
        """Run the server's filters on a new message and act on what they find (`Filtering.check_message`)."""
        await self.filtering.check_message(facts)
