"""The timezones a server may pick, and matching what an admin typed against them."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    """Every IANA zone with a region (``Europe/Berlin``), plus ``UTC``; the bare legacy names are left out."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def known(name: str) -> bool:
    return name in _known()


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(all_timezones())


def matching(typed: str, *, limit: int) -> list[str]:
    """Zones for what was typed: those whose name or city starts with it first, then those containing it."""
    needle = typed.strip().lower().replace(" ", "_")
    zones = all_timezones()
    if needle:
        starts = [z for z in zones if z.lower().startswith(needle) or z.lower().split("/")[-1].startswith(needle)]
        contains = [z for z in zones if needle in z.lower() and z not in starts]
        zones = tuple(starts + contains)
    return list(zones[:limit])
