"""`python -m bot sync`: the only path that syncs slash commands globally (or to one server on demand)."""

from __future__ import annotations

import asyncio
import sys

import discord


async def _sync(guild_id: int | None) -> int:
    from bot.app import create_bot
    from bot.settings import Settings

    settings = Settings()
    if settings.discord_token is None:
        print("Set DISCORD_TOKEN first (see `python -m bot run` for how).", file=sys.stderr)
        return 2
    # Keep setup_hook from also syncing to the development server.
    bot = create_bot(settings.model_copy(update={"dev_guild_id": None}))
    async with bot:
        await bot.login(settings.discord_token.get_secret_value())
        if guild_id is None:
            synced = await bot.tree.sync()
            print(f"Synced {len(synced)} commands globally. Discord may take a few minutes to show them everywhere.")
        else:
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
            print(f"Synced {len(synced)} commands to server {guild_id}.")
    return 0


def run_sync(guild_id: int | None) -> int:
    try:
        return asyncio.run(_sync(guild_id))
    except discord.LoginFailure:
        print("Discord did not accept the token.", file=sys.stderr)
        return 2
    except (discord.HTTPException, OSError) as exc:
        print(f"Could not reach Discord to sync commands: {exc}", file=sys.stderr)
        return 1
