"""The circle's card (an embed with buttons) and the buttons themselves, which survive restarts.

Buttons are `DynamicItem`s whose custom id carries the circle id (`circle:join:42`), so a card from an ended
circle never acts on a newer one in the same channel, and they work again the moment the bot restarts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.circle import CircleState, Status
from bot.replies import guard
from cogs.circles import texts

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.features import CirclesFeature

LABELS = {
    "join": ("Join", discord.ButtonStyle.success),
    "leave": ("Leave", discord.ButtonStyle.secondary),
    "done": ("I'm done", discord.ButtonStyle.primary),
    "pass": ("Pass my turn", discord.ButtonStyle.secondary),
    "retry": ("Try again", discord.ButtonStyle.primary),
    "end": ("End the circle", discord.ButtonStyle.danger),
    "heard": ("I feel heard", discord.ButtonStyle.success),
    "notyet": ("Not quite", discord.ButtonStyle.secondary),
}


def _service(interaction: discord.Interaction) -> CirclesFeature:
    bot: CircleBot = interaction.client  # type: ignore[assignment]
    return bot.features.circles


class CircleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"circle:(?P<action>join|leave|done|pass|retry|end|heard|notyet):(?P<circle_id>[0-9]{1,20})",
):
    def __init__(self, action: str, circle_id: int, *, disabled: bool = False) -> None:
        label, style = LABELS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"circle:{action}:{circle_id}", disabled=disabled)
        )
        self.action = action
        self.circle_id = circle_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CircleButton:
        return cls(match["action"], int(match["circle_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await guard(interaction, _service(interaction).press(interaction, self.action, self.circle_id))


class ListenerSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"circle:listener:(?P<circle_id>[0-9]{1,20})",
):
    """The empathy speaker's menu of who will listen and reflect back."""

    def __init__(self, circle_id: int, people: list[tuple[int, str]] | None = None) -> None:
        # Rebuilt from a custom id, the menu has no options of its own: the choice arrives in the interaction.
        options = [discord.SelectOption(label=name[:100], value=str(user_id)) for user_id, name in people or []]
        super().__init__(
            discord.ui.Select(
                custom_id=f"circle:listener:{circle_id}",
                placeholder="Choose who will listen and reflect back",
                options=options or [discord.SelectOption(label="…", value="0")],
            )
        )
        self.circle_id = circle_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ListenerSelect:
        return cls(int(match["circle_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        values: list[str] = list(data.get("values") or ["0"])
        chosen = int(values[0]) if values[0].isdigit() else 0
        await guard(interaction, _service(interaction).choose_listener(interaction, self.circle_id, chosen))


def listener_view(circle_id: int, people: list[tuple[int, str]]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if people:
        view.add_item(ListenerSelect(circle_id, people))
    return view


def heard_view(circle_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CircleButton("heard", circle_id))
    view.add_item(CircleButton("notyet", circle_id))
    return view


def card_view(circle_id: int, status: Status) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    ended = status == Status.ENDED
    for action in ("join", "leave", "done", "pass"):
        view.add_item(CircleButton(action, circle_id, disabled=ended))
    return view


def problem_view(circle_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CircleButton("retry", circle_id))
    view.add_item(CircleButton("end", circle_id))
    return view


def card_embed(state: CircleState, kind: str = "text") -> discord.Embed:
    settings = state.settings
    colour = discord.Colour.from_rgb(120, 160, 140) if state.status != Status.ENDED else discord.Colour.light_grey()
    title = texts.CARD_TITLES[settings.format] if state.status != Status.ENDED else "🌿 This circle has closed"
    embed = discord.Embed(title=title, description=texts.HOW_IT_WORKS[settings.format], colour=colour)
    embed.add_field(name="Format", value=texts.settings_line(settings), inline=False)
    people = ", ".join(texts.mention(p) for p in state.participants) or "Nobody yet: press **Join**."
    embed.add_field(name=f"In the circle ({len(state.participants)})", value=people[:1024], inline=False)
    status = {
        Status.GATHERING: "Gathering: join now, and a facilitator will start soon.",
        Status.RUNNING: f"Round {state.round} of {settings.rounds} is under way.",
        Status.PAUSED: "Paused for a moment.",
        Status.ENDED: "Thank you for sharing and listening.",
    }[state.status]
    embed.add_field(name="Now", value=status, inline=False)
    embed.set_footer(text=texts.floor_note(kind, settings.enforcement)[:2048])
    return embed
