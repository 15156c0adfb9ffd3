"""`python -m bot check`: settings, every data file, migrations, intents and the invite link. Offline."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from bot.domain.datafiles import DataFileError
from bot.permissions import PRIVILEGED_INTENTS, REQUIRED_PERMISSIONS, invite_url, permissions_needed

ROOT = Path(__file__).resolve().parent.parent


def data_file_checks(root: Path = ROOT) -> list[tuple[str, Callable[[], object]]]:
    """Every shipped data file with the loader that validates it. New data files are added here."""
    from bot.domain.crisis import load_lexicon
    from bot.domain.lookalikes import load_lookalikes
    from bot.domain.prompts import load_decks
    from bot.domain.resources import load_resources

    return [
        ("prompt decks", lambda: load_decks(root / "prompts")),
        ("crisis resources", lambda: load_resources(root / "data" / "crisis_resources.toml")),
        ("crisis lexicon", lambda: load_lexicon(root / "data" / "crisis" / "lexicon.toml")),
        ("look-alike table", lambda: load_lookalikes(root / "bot" / "domain" / "lookalikes.json")),
    ]


async def _migrations_apply(path: str) -> int:
    from bot.db.database import Database

    db = await Database.open(path)
    try:
        return await db.migrate()
    finally:
        await db.close()


def database_path_problem(path: Path) -> str | None:
    """Why the bot could not write its database at `path`, in words; None when it can."""
    if str(path) == ":memory:":
        return None
    hint = "Point DATABASE_PATH at a file in a folder the bot's user may write to."
    if path.exists() and path.is_dir():
        return f"{path} is a folder, not a file. {hint}"
    folder = path.parent
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, so the folder {folder} can't be made. {hint}"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"I can't create files in {existing}. {hint}"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"I can't write to {path}. {hint}"
    return None


def database_file_problem(path: Path) -> str | None:
    """What is wrong with an existing database file, read-only and without changing it; None when it is fine."""
    if str(path) == ":memory:" or not path.is_file():
        return None
    import sqlite3

    from bot.db.database import load_migrations

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return f"I can't open {path} ({exc})."
    try:
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            return f"{path} is not a database the bot can read ({exc})."
    finally:
        conn.close()
    if verdict is None or verdict[0] != "ok":
        return f"{path} is damaged (SQLite's check says: {verdict[0] if verdict else 'nothing'}). Restore a backup."
    latest = len(load_migrations())
    if version > latest:
        return f"{path} was made by a newer version of the bot (schema {version}; this one knows {latest})."
    return None


def run_check(out: Callable[[str], None] = print, *, root: Path = ROOT) -> int:
    from bot.settings import Settings

    failures = 0
    try:
        settings = Settings()
        out("Settings: ok" + ("" if settings.discord_token else " (no DISCORD_TOKEN yet: `run` will need one)"))
    except ValidationError as exc:
        failures += 1
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]).upper()
            out(f"Settings: {field}: {error['msg']}")
        settings = None

    for name, load in data_file_checks(root):
        try:
            loaded = load()
        except DataFileError as exc:
            failures += 1
            out(f"Data file problem ({name}): {exc.path}: {exc.problem}")
        else:
            source = getattr(loaded, "source_version", None)
            out(f"Data files: {name} ok" + (f" ({source})" if source else ""))
            stale = getattr(loaded, "stale", None)
            if callable(stale):
                from datetime import UTC, datetime

                for entry in stale(datetime.now(UTC).date()):
                    out(f"Warning: {entry} was last checked more than a year ago; please confirm it.")

    if settings is not None:
        problem = database_path_problem(Path(settings.database_path))
        if problem:
            failures += 1
            out(f"Database file: {problem}")
        else:
            damaged = database_file_problem(Path(settings.database_path))
            if damaged:
                failures += 1
                out(f"Database file: {damaged} Point DATABASE_PATH at a good file, or restore a backup.")
            else:
                out(f"Database file: ok ({settings.database_path} can be written)")

    with tempfile.TemporaryDirectory() as folder:
        try:
            version = asyncio.run(_migrations_apply(str(Path(folder) / "check.db")))
            out(f"Database migrations: ok (schema version {version})")
        except Exception as exc:
            failures += 1
            out(f"Database migrations: failed: {exc}")

    out("")
    out("Privileged intents to switch on (developer portal > your application > Bot):")
    for name, why in PRIVILEGED_INTENTS:
        out(f"  - {name}: {why}")
    out("")
    out(f"Permissions the bot needs (integer {permissions_needed().value}):")
    for need in REQUIRED_PERMISSIONS:
        out(f"  - {need.words}: to {need.why}")
    out("")
    out("Invite link (replace the client id with your application's id if it shows YOUR_APPLICATION_ID):")
    out("  " + invite_url(None))
    if failures:
        out("")
        out(f"{failures} problem(s) found.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run_check())
