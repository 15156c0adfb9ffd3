"""Talking-stick circles: `/circle ...`, the card's buttons, timers, gentle reminders, recurring circles, restarts.

The pieces, wired here once: the shell takes each step and makes Discord match (`shell`, with `floor`, `voice`,
`card`, `announce`, `places`); `actions` is what a command or a button asks, and is what other features reach as
`bot.features.circles`; `commands` are the slash commands, `listeners` the gateway events; a recurring circle is
`series` with its `events`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.circles.actions import CircleActions
from cogs.circles.card import CircleButton, ListenerSelect
from cogs.circles.commands import CircleCog
from cogs.circles.events import SeriesEvents
from cogs.circles.listeners import CircleListeners
from cogs.circles.series import SeriesService
from cogs.circles.shell import CircleShell

if TYPE_CHECKING:
    from bot.app import CircleBot


async def setup(bot: CircleBot) -> None:
    shell = CircleShell(bot)
    actions = CircleActions(bot, shell)
    events = SeriesEvents(bot, shell)
    series = SeriesService(bot, actions, events)
    bot.add_dynamic_items(CircleButton, ListenerSelect)
    bot.features.circles = actions
    await bot.add_cog(CircleCog(bot, actions, series))
    await bot.add_cog(CircleListeners(bot, shell, series, events))


async def teardown(bot: CircleBot) -> None:
    bot.remove_dynamic_items(CircleButton, ListenerSelect)
