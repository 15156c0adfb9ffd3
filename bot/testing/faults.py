"""Errors as the bot would really see them: Discord's refusals, and the faults a test injects on chosen routes.

Patching `request()` bypasses discord.py's own handling (it waits out 429s and retries 5xx five times), so what is
raised here is what discord.py would raise after that handling: `Forbidden` for a 403 (with Discord's JSON error
code), `DiscordServerError` for a 5xx, `RateLimited` only where `max_ratelimit_timeout` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NoReturn

import discord


@dataclass
class Fault:
    method: str
    path: str
    status: int
    code: int = 0
    message: str = ""
    retry_after: float = 1.0
    times: int | None = None  # None: every later matching call
    match: dict[str, str] = field(default_factory=dict)  # optional route parameters that must match


def refuse(status: int, code: int = 0, message: str = "") -> NoReturn:
    """Answer the call with an HTTP error, with Discord's JSON error code (50013 Missing Permissions, ...)."""
    response = SimpleNamespace(status=status, reason={403: "Forbidden", 404: "Not Found"}.get(status, "Error"))
    body = {
        "code": code,
        "message": message or {403: "Missing Permissions", 404: "Unknown"}.get(status, "Error"),
    }
    if status == 403:
        raise discord.Forbidden(response, body)  # type: ignore[arg-type]
    if status == 404:
        raise discord.NotFound(response, body)  # type: ignore[arg-type]
    if status >= 500:
        raise discord.DiscordServerError(response, body)  # type: ignore[arg-type]
    raise discord.HTTPException(response, body)  # type: ignore[arg-type]


def take_fault(faults: list[Fault], method: str, path: str, params: dict[str, str]) -> Fault | None:
    """The first fault set for this call, if any; a fault set for a number of times is used up by it."""
    for fault in faults:
        if fault.method != method or fault.path != path:
            continue
        if any(params.get(k) != v for k, v in fault.match.items()):
            continue
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                faults.remove(fault)
        return fault
    return None


def apply_fault(fault: Fault, max_ratelimit_timeout: float | None) -> None:
    """Raise what the bot would see; a 429 it would wait out raises nothing (the retry is what gets answered)."""
    if fault.status == 429:
        if max_ratelimit_timeout is not None and fault.retry_after > max_ratelimit_timeout:
            raise discord.RateLimited(fault.retry_after)
        return
    refuse(fault.status, fault.code, fault.message)
