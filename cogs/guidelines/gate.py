"""The rules gate: once a server has agreements, joining a circle first asks for the current version's "I agree".

Other features call :func:`rules_accepted` before letting someone in. When the person has not agreed yet they get
the agreements privately with an **I agree** button, and the join waits for it: pressing the button records the
acceptance (with its version and time) and runs the join at once. The button's custom id carries the version
(so an old button never accepts newer agreements) and a token for the waiting join; after a restart the token
is gone, the acceptance is still recorded and the person is told they can join now.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import UserFacingError
from bot.replies import guard, send_private
from cogs.guidelines import texts
from cogs.guidelines.embeds import rules_embed

if TYPE_CHECKING:
    from bot.app import CircleBot
    from cogs.guidelines.service import GuidelineService

log = logging.getLogger(__name__)

# The `/rules` cog's name.
COG_NAME = "Guidelines"

Then = Callable[[discord.Interaction], Awaitable[None]]
MAX_PENDING_JOINS = 1_000


@dataclass(slots=True)
class _Pending:
    user_id: int
    then: Then


@dataclass(slots=True)
class Gate:
    """Joins waiting for someone to agree to the rules, by the token in their "I agree" button."""

    pending: dict[int, _Pending] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def hold(self, user_id: int, then: Then) -> int:
        token = next(self._tokens)
        self.pending[token] = _Pending(user_id, then)
        while len(self.pending) > MAX_PENDING_JOINS:  # people who never pressed: forget the oldest
            self.pending.pop(next(iter(self.pending)))
        return token

    def release(self, token: int, user_id: int) -> Then | None:
        held = self.pending.get(token)
        if held is None or held.user_id != user_id:
            return None
        del self.pending[token]
        return held.then


async def rules_accepted(service: GuidelineService, interaction: discord.Interaction, then: Then) -> bool:
    """True when the person may go on; otherwise the agreements were offered and `then` runs after "I agree"."""
    bot = service.bot
    if interaction.guild_id is None:
        return True
    rules = await bot.store.guidelines.rules(interaction.guild_id)
    if rules is None:
        return True
    accepted = await bot.store.guidelines.accepted_version(interaction.guild_id, interaction.user.id)
    if accepted == rules.version:
        return True
    token = service.gate.hold(interaction.user.id, then)
    intro = texts.ASK_TO_AGREE if accepted is None else texts.ASK_TO_AGREE_AGAIN
    await send_private(interaction, intro, embed=rules_embed(rules), view=agree_view(rules.version, token))
    return False


class AgreeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"rules:agree:(?P<version>[0-9]{1,9}):(?P<token>[0-9]{1,12})",
):
    def __init__(self, version: int, token: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label="I agree", style=discord.ButtonStyle.success, custom_id=f"rules:agree:{version}:{token}"
            )
        )
        self.version = version
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AgreeButton:
        return cls(int(match["version"]), int(match["token"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: CircleBot = interaction.client  # type: ignore[assignment]
        await guard(interaction, bot.features.guidelines.agree(interaction, self.version, self.token))


def agree_view(version: int, token: int = 0) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AgreeButton(version, token))
    return view


async def agree(service: GuidelineService, interaction: discord.Interaction, version: int, token: int) -> None:
    bot = service.bot
    if interaction.guild_id is None:
        raise UserFacingError("That works inside a server, not in direct messages.")
    rules = await bot.store.guidelines.rules(interaction.guild_id)
    if rules is None:
        await interaction.response.edit_message(content=texts.RULES_GONE, embed=None, view=None)
        then = service.gate.release(token, interaction.user.id)
        if then is not None:
            await then(interaction)
        return
    if rules.version != version:
        # Agreeing to old agreements is not agreeing to these: show the new ones, same waiting join.
        await interaction.response.edit_message(
            content=texts.RULES_CHANGED_MEANWHILE, embed=rules_embed(rules), view=agree_view(rules.version, token)
        )
        return
    await bot.store.guidelines.accept(interaction.guild_id, interaction.user.id, version, bot.clock.now())
    then = service.gate.release(token, interaction.user.id)
    await interaction.response.edit_message(
        content=texts.AGREED if then is not None else texts.AGREED_NOTHING_PENDING, view=None
    )
    if then is not None:
        await then(interaction)
