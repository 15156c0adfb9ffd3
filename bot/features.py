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

    async def circle_in(self, channel_id: int, guild_id: int) -> int | None:
        """The same, and also right before the server's shard has restored its circles (then from the database)."""
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


# Settings ---------------------------------------------------------------------------------------------------
# One validated setter per server setting, used by `/config` (cogs/admin) and `/setup` (cogs/onboarding) alike.
# Each takes the server and the value as a person gave it, checks it, stores it and returns the sentence to show;
# a value it cannot use (out of its option's range, a channel that doesn't fit) raises `bot.domain.refusal.Refusal`,
# which is shown privately as it is, and nothing changes. A value is checked here whichever door it came through,
# so a crafted payload or a stale command registration gets the same kind "no" as a typo.

CRISIS_SCOPES: tuple[str, ...] = ("circles", "server", "off")
"""Where the crisis screen may read: channels with an active circle (the default), every channel, or nowhere."""


class ServerSettings(Protocol):
    """The circles-wide server settings (`cogs/admin/settings.py`): facilitator role, timezone, turn length."""

    async def set_facilitator_role(self, guild: discord.Guild, role_id: int) -> str: ...

    async def set_timezone(self, guild: discord.Guild, name: str) -> str: ...

    async def set_turn_minutes(self, guild: discord.Guild, minutes: float) -> str: ...


class GuidelineSettings(Protocol):
    """The guidelines' settings (`cogs/guidelines/settings.py`): mod log, warnings, ladder, the agreements."""

    async def set_mod_log(self, guild: discord.Guild, channel_id: int) -> str:
        """A channel the bot can post cases in (it posts a first note there to be sure)."""
        ...

    async def set_warn_expiry(self, guild: discord.Guild, days: int) -> str: ...

    async def set_appeal(self, guild: discord.Guild, text: str) -> str:
        """What warned members read about appealing; `default` for the bot's own words."""
        ...

    async def show_ladder(self, guild: discord.Guild) -> str: ...

    async def set_ladder(self, guild: discord.Guild, steps: str) -> str: ...

    async def save_rules(self, guild: discord.Guild, actor_id: int, text: str | None) -> str:
        """The agreements as typed (one a line), or the suggested ones for None; opens a mod-log case like `/rules`."""
        ...


class CrisisSettings(Protocol):
    """Crisis care's settings (`cogs/crisis/settings.py`): where the screen reads, the alert channel, the region."""

    async def set_scope(self, guild: discord.Guild, scope: str) -> str:
        """One of `CRISIS_SCOPES`."""
        ...

    async def set_alerts(self, guild: discord.Guild, channel_id: int | None) -> str:
        """A channel @everyone cannot see and the bot can post in; None turns alerts off."""
        ...

    async def set_region(self, guild: discord.Guild, country: str) -> str:
        """A covered country by code or name, or `clear`."""
        ...

    def region_choices(self, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete for a region: covered countries matching what was typed, and "no region"."""
        ...


class Features:
    """One slot per feature, each filled by its extension's `setup()`."""

    SLOTS: ClassVar[tuple[str, ...]] = (
        "circles",
        "prompts",
        "guidelines",
        "crisis",
        # settings (one validated setter per server setting)
        "server_settings",
        "guideline_settings",
        "crisis_settings",
    )

    circles: CirclesFeature
    prompts: PromptsFeature
    guidelines: GuidelinesFeature
    crisis: CrisisFeature
    server_settings: ServerSettings
    guideline_settings: GuidelineSettings
    crisis_settings: CrisisSettings

    def __getattr__(self, name: str) -> Any:
        # Only called for a slot not filled yet (filled slots are plain instance attributes).
        if name in type(self).SLOTS:
            raise FeatureMissing(f"the {name} feature is not loaded yet")
        raise AttributeError(name)

    def missing(self) -> list[str]:
        """The slots no extension has filled."""
        return [name for name in type(self).SLOTS if name not in vars(self)]
