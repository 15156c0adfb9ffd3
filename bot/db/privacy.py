"""A member's data across every repository: export it all, or delete it all, in one server.

Every repository of the `Store` that holds user ids implements `export_user` and `delete_user` (the
privacy contract in `../shared/DESIGN.md`); this module finds them by those two methods, so a repository added
later takes part without a change here. `tests/test_privacy.py` checks the other way round: every table SQLite
knows with a user-id column comes out of an export and is emptied by a delete.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.db.repos._time import to_db

if TYPE_CHECKING:
    from bot.db.store import Store

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1


@runtime_checkable
class HoldsUserData(Protocol):
    async def export_user(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]: ...

    async def delete_user(self, guild_id: int, user_id: int) -> int: ...


def repositories(store: Store) -> list[tuple[str, HoldsUserData]]:
    """Every repository in the store that can export and delete a member's rows, by attribute name."""
    found: list[tuple[str, HoldsUserData]] = []
    seen: set[int] = set()
    for name, value in sorted(vars(store).items()):
        if name.startswith("_") or id(value) in seen:
            continue
        if isinstance(value, HoldsUserData) and callable(getattr(value, "export_user", None)):
            seen.add(id(value))
            found.append((name, value))
    return found


async def export_tables(store: Store, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Table name -> the member's rows in this server, from every repository."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for _name, repo in repositories(store):
        for table, rows in (await repo.export_user(guild_id, user_id)).items():
            tables.setdefault(table, []).extend(rows)
    return dict(sorted(tables.items()))


async def export_document(store: Store, guild_id: int, user_id: int, now: datetime) -> dict[str, Any]:
    """The whole export, as one JSON-ready document."""
    return {
        "format": EXPORT_FORMAT,
        "about": "Everything the Empathy Circles bot stores about you in one server. It never stores what you said.",
        "server_id": guild_id,
        "user_id": user_id,
        "exported_at": to_db(now),
        "tables": await export_tables(store, guild_id, user_id),
    }


async def delete_everything(store: Store, guild_id: int, user_id: int) -> int:
    """Delete (or, where a row is the group's, strip the id from) every row about the member in this server.

    All repositories in one transaction: all or nothing. Returns how many rows were deleted or changed.
    """
    total = 0
    async with store.db.transaction():
        for name, repo in repositories(store):
            count = await repo.delete_user(guild_id, user_id)
            log.info("privacy delete: %s rows from %s", count, name)
            total += count
    return total
