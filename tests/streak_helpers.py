"""Helpers for the streak, attendance and privacy stories: a stand-in that keeps the files the bot uploads."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.testing import StandIn


class FileKeepingStandIn(StandIn):
    """The stand-in, also keeping the bytes of every file the bot uploads (Discord would store them)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.uploads: dict[str, bytes] = {}

    def _body(self, kwargs: dict[str, Any], form: Any = None, files: Any = None) -> Any:  # type: ignore[override]
        for part in form or kwargs.get("multipart") or []:
            if "filename" in part:
                value = part["value"]
                if hasattr(value, "read"):
                    position = value.tell()
                    data = value.read()
                    value.seek(position)
                else:
                    data = value
                self.uploads[part["filename"]] = data if isinstance(data, bytes) else str(data).encode()
        return StandIn._body(kwargs, form, files)


@asynccontextmanager
async def file_keeping_standin(tmp_path: Path) -> AsyncIterator[FileKeepingStandIn]:
    """A started stand-in on a fresh database; fails on any ERROR the bot logged (as the shared fixture does)."""
    s = FileKeepingStandIn(database_path=tmp_path / "bot.db")
    await s.start()
    try:
        yield s
    finally:
        await s.close()
    assert s.errors == [], f"errors were logged: {s.errors}"


async def autocomplete(s: StandIn, user: str, command: str, option: str, current: str) -> list[dict[str, Any]]:
    """Type into an autocompleted option, as Discord does, and return the choices the bot offered."""
    data = s.slash_payload(s.user_id(user), command, None, **{option: current})
    data["type"] = 4
    leaf = data["data"]["options"]
    while leaf and leaf[0].get("type") in (1, 2):
        leaf = leaf[0]["options"]
    for entry in leaf:
        if entry["name"] == option:
            entry["focused"] = True
    mark = s.mark()
    await s.feed("INTERACTION_CREATE", data)
    answers = [c for c in s.since(mark) if c.path.endswith("/callback")]
    assert answers, "the bot did not answer the autocomplete"
    return list(copy.deepcopy(answers[-1].json["data"]["choices"]))
