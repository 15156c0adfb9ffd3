"""Answering people: privately, whether or not the interaction was already answered, and never with a traceback."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.domain.refusal import Refusal
from bot.errors import GENERIC_FAILURE, UserFacingError, reference_code

log = logging.getLogger(__name__)

QUIET = discord.AllowedMentions.none()


async def send_private(interaction: discord.Interaction, content: str | None = None, **kwargs: Any) -> None:
    """An ephemeral answer: the first response if there was none yet, else a follow-up."""
    kwargs.setdefault("allowed_mentions", QUIET)
    if interaction.response.is_done():
        await interaction.followup.send(content or "", ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def _unwrap(error: BaseException) -> BaseException:
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        if isinstance(error, app_commands.TransformerError) and not isinstance(
            error.__cause__, UserFacingError | Refusal
        ):
            break
        error = error.__cause__
    return error


def message_for(error: BaseException) -> tuple[str, bool]:
    """The words a person sees for `error`, and whether it was an expected failure."""
    error = _unwrap(error)
    if isinstance(error, UserFacingError | Refusal):
        return error.message, True
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't make sense of “{error.value}” there. Could you pick or type it again?", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That works inside a server, not in direct messages.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Let's take a breath: try again in {error.retry_after:.0f} seconds.", True
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that here.", True
    if isinstance(error, app_commands.CommandNotFound):
        return "I don't know that command any more. It may have changed: try typing `/` again.", True
    code = reference_code()
    log.error("unexpected error (reference %s)", code, exc_info=(type(error), error, error.__traceback__))
    return GENERIC_FAILURE.format(code=code), False


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the person what went wrong, privately. Works before and after the interaction was answered."""
    text, _expected = message_for(error)
    try:
        await send_private(interaction, text)
    except discord.HTTPException:
        # The interaction may have expired (15 minutes) or Discord may be down: the log already has the cause.
        log.warning("could not tell a member about an error on interaction %s", interaction.id)


class GuardedView(discord.ui.View):
    """A view whose failures are answered like a slash command's: privately, with a reference code if unexpected."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await report_error(interaction, error)


async def guard(interaction: discord.Interaction, work: Any) -> None:
    """Await `work` (a coroutine), answering any failure privately. For dynamic items, which have no `on_error`."""
    try:
        await work
    except Exception as error:
        await report_error(interaction, error)
