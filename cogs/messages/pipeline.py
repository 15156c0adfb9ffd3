"""The one `on_message`: the facts once, then crisis care, the filters and the gentle reminder, in that order.

Nothing here decides anything about a feature; it only finds out once what every feature would otherwise ask
again (is a circle running here? what does the crisis screen say?) and calls the features in an order that puts
care first: a member who may be in crisis gets the private check-in before anything else happens, and the
screen's finding shields the message from every filter action and every reminder (see `MessageFacts`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.domain.crisis import Finding, Screen

if TYPE_CHECKING:
    from bot.app import CircleBot

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Facts:
    """One message's facts; the screen runs on the first look at `finding` and never again."""

    message: discord.Message
    member: discord.Member
    circle_id: int | None
    screen: Screen
    _finding: Finding | None = field(default=None, repr=False)

    @property
    def finding(self) -> Finding:
        if self._finding is None:
            self._finding = self.screen.check(self.message.content)
        return self._finding

    @property
    def flagged(self) -> bool:
        return self.finding.flagged


async def facts_of(bot: CircleBot, message: discord.Message) -> Facts | None:
    """The facts of a message a feature may act on, or None (a DM, a bot, a webhook, an empty message)."""
    if message.guild is None or message.author.bot or message.webhook_id is not None or not message.content:
        return None
    if not isinstance(message.author, discord.Member):
        return None
    # From memory; only before the server's shard has restored its circles does this read the database.
    circle_id = await bot.features.circles.circle_in(message.channel.id, message.guild.id)
    return Facts(message, message.author, circle_id, bot.screen)


class MessagesCog(commands.Cog, name="Messages"):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        facts = await facts_of(self.bot, message)
        if facts is None:
            return
        features = self.bot.features
        # Each step stands alone: one that fails is logged and the next still runs.
        for step in (features.crisis.care_for, features.guidelines.check_message, features.circles.remind_gently):
            try:
                await step(facts)
            except Exception:
                log.exception("message path: %s failed", getattr(step, "__qualname__", step))
