"""What each feature offers the others, as typed Protocols, and the one holder where features meet.

Features never import each other (`tests/test_smoke.py` holds that): an extension's `setup()` puts what it offers in
its slot on `bot.features`, and any other feature reaches it there. After `setup_hook` every slot is filled (the
smoke test checks that too), so no caller needs a "this feature may be missing" branch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import discord
    from discord import app_commands

    from bot.domain.crisis import Finding
    from bot.domain.prompts import Deck, Prompt


class FeatureMissing(RuntimeError):
    """A feature's slot was read before its extension filled it (a start-up ordering bug, never a user's doing)."""


class MessageFacts(Protocol):
    """What the one message path (`cogs/messages`) found out about a message, once, for every feature it calls.

    `finding` runs the crisis screen on first use and keeps the result, so however many features ask, a message
    is screened once; `flagged` is the shield: a message that may be a cry for help is never deleted, warned
    about or nagged, whoever wrote it (also a member who turned the screen off: for them the finding produces no
    check-in, no alert and no record, and is used for nothing else).
    """

    message: discord.Message
    member: discord.Member
    circle_id: int | None
    """The circle running in the message's channel (from memory), or None."""

    @property
    def finding(self) -> Finding: ...

    @property
    def flagged(self) -> bool: ...


class CirclesFeature(Protocol):
    """Talking-stick circles (`cogs/circles`)."""

    def active_circle_in(self, channel_id: int) -> int | None:
        """The id of the circle running in this channel, from memory (no database read), or None."""
        ...

    async def remind_gently(self, facts: MessageFacts) -> None:
        """Gentle mode: a quiet DM to someone posting out of turn (never for a flagged message)."""
        ...

    async def press(self, interaction: discord.Interaction, action: str, circle_id: int) -> None:
        """A card or DM button of a circle was pressed."""
        ...

    async def choose_listener(self, interaction: discord.Interaction, circle_id: int, listener: int) -> None:
        """An empathy speaker picked their listener from the menu."""
        ...


class PromptsFeature(Protocol):
    """Reflective prompts (`cogs/prompts`): the prompt that opens each round, and the decks."""

    async def prompt_for_round(
        self, circle_id: int, guild_id: int, round_: int, rounds: int, chosen: str | None
    ) -> Prompt | None: ...

    def render(self, prompt: Prompt) -> str: ...

    def deck(self, name: str) -> Deck:
        """The deck by id or name; raises a kind error for one that doesn't exist."""
        ...

    def deck_choices(self, current: str) -> list[app_commands.Choice[str]]: ...


Then = Callable[["discord.Interaction"], Awaitable[None]]


class GuidelinesFeature(Protocol):
    """The group's agreements, filters, warnings and mod log (`cogs/guidelines`)."""

    async def rules_accepted(self, interaction: discord.Interaction, then: Then) -> bool:
        """True when the person may go on; otherwise the agreements were offered and `then` runs after "I agree"."""
        ...

    async def agree(self, interaction: discord.Interaction, version: int, token: int) -> None:
        """The **I agree** button under the agreements was pressed."""
        ...

    async def check_message(self, facts: MessageFacts) -> None:
        """Run the server's filters on a new message; a flagged message is held back from every action."""
        ...


class CrisisFeature(Protocol):
    """Crisis care (`cogs/crisis`): reading messages in its scope, and the private check-in's buttons."""

    async def care_for(self, facts: MessageFacts) -> None:
        """A private check-in (and an alert at tier 3) for a flagged message in scope, unless the member opted out."""
        ...

    async def talk(self, interaction: discord.Interaction, guild_id: int, tier: int) -> None: ...

    async def more(self, interaction: discord.Interaction, guild_id: int) -> None: ...

    async def okay(self, interaction: discord.Interaction, guild_id: int, tier: int) -> None: ...

    async def reach(self, interaction: discord.Interaction) -> None: ...


class Features:
    """One slot per feature, each filled by its extension's `setup()`."""

    SLOTS: ClassVar[tuple[str, ...]] = ("circles", "prompts", "guidelines", "crisis")

    circles: CirclesFeature
    prompts: PromptsFeature
    guidelines: GuidelinesFeature
    crisis: CrisisFeature

    def __getattr__(self, name: str) -> Any:
        # Only called for a slot not filled yet (filled slots are plain instance attributes).
        if name in type(self).SLOTS:
            raise FeatureMissing(f"the {name} feature is not loaded yet")
        raise AttributeError(name)

    def missing(self) -> list[str]:
        """The slots no extension has filled."""
        return [name for name in type(self).SLOTS if name not in vars(self)]
