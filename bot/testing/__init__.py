"""An offline Discord for tests, `python -m bot replay` and `python -m bot demo`.

It drives the real discord.py client: REST calls are answered at `bot.http.request`, interaction responses at
`AsyncWebhookAdapter.request`, and gateway events are fed as raw payloads to `bot._connection.parsers`. It keeps
Discord's side of the state (channels and their overwrites, voice states, messages) and sends the gateway events
Discord would send after a change, so discord.py's cache stays true. An unknown route fails loudly.

The modules, each importing only those above it:

- `payloads`: raw gateway payloads (users, members, the default server, snowflakes), option and component helpers
- `faults`: Discord's HTTP errors as discord.py raises them, and the faults a test injects
- `driver`: waiting for the tasks discord.py spawns, moving the clock on, catching logged errors
- `discord_rules`: the rules of Discord's own that the stand-in enforces (permissions, timeouts, events)
- `state`: Discord's side of the world, and the gateway events that tell the bot about it
- `rest`, `interactions`: the answers to the bot's REST calls and interaction responses; interaction payloads
- `standin`: `StandIn` itself, its life cycle, and the seams it answers through
"""

from bot.testing.driver import WATCHED_LOGGERS
from bot.testing.faults import Fault
from bot.testing.payloads import (
    DEFAULT_BOT_USER,
    DISCORD_EPOCH_MS,
    EPHEMERAL,
    EVERYONE_PERMISSIONS,
    Mention,
    _member,
    _user,
    button_id,
    channel_option,
    default_guild,
    iso,
    role_option,
    seconds,
    snowflake_at,
    timestamp_in,
    user_option,
    walk_components,
)
from bot.testing.standin import _ORIGINAL_ADAPTER_REQUEST, DEFAULT_START, Call, StandIn, UnknownRoute, route_params

__all__ = [
    "DEFAULT_BOT_USER",
    "DEFAULT_START",
    "DISCORD_EPOCH_MS",
    "EPHEMERAL",
    "EVERYONE_PERMISSIONS",
    "WATCHED_LOGGERS",
    "_ORIGINAL_ADAPTER_REQUEST",
    "Call",
    "Fault",
    "Mention",
    "StandIn",
    "UnknownRoute",
    "_member",
    "_user",
    "button_id",
    "channel_option",
    "default_guild",
    "iso",
    "role_option",
    "route_params",
    "seconds",
    "snowflake_at",
    "timestamp_in",
    "user_option",
    "walk_components",
]
