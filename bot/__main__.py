"""`python -m bot [run|check|sync|replay|demo|screen|backup|restore]`: the command-line entry."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

log = logging.getLogger("bot")

NO_TOKEN = """\
The bot needs a token before it can start, and none is set.

1. Open https://discord.com/developers/applications and create an application (New Application).
2. Under Bot, press Reset Token and copy it. Keep it secret: it is the bot's password.
3. Still under Bot, switch on the privileged intent: Message Content.
4. Put the token in a file named .env next to this README, as a line:  DISCORD_TOKEN=your-token
   (or set DISCORD_TOKEN in the environment). See .env.example for every setting.
5. Run `python -m bot check` for the invite link with the exact permissions the bot needs.

Want to see it work first? `python -m bot demo` plays a short circle offline, no token needed."""


def configure_logging(level: int | str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-8s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("discord.http").setLevel(logging.WARNING)


def load_settings() -> object:
    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
        print(f"A setting is not right ({problems}). Check your .env file or environment.", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(_args: argparse.Namespace) -> int:
    from bot.settings import Settings

    settings = load_settings()
    assert isinstance(settings, Settings)
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)

    import discord
    from discord.ext import commands

    from bot.db.database import DatabaseProblem
    from bot.domain.datafiles import DataFileError
    from bot.runner import serve

    try:
        asyncio.run(serve(settings))
    except DatabaseProblem as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (DataFileError, commands.ExtensionFailed) as exc:
        broken = exc.original if isinstance(exc, commands.ExtensionFailed) else exc
        if not isinstance(broken, DataFileError):
            raise
        # The same words `python -m bot check` uses for a broken data file.
        print(f"Data file problem: {broken.path}: {broken.problem}", file=sys.stderr)
        return 2
    except discord.LoginFailure:
        print(
            "Discord did not accept the token. Copy it again from the developer portal (Bot > Reset Token).",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print(
            "Discord refused the Message Content intent. Switch it on in the developer portal under Bot, "
            "Privileged Gateway Intents, then start again.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def cmd_check(_args: argparse.Namespace) -> int:
    from bot.checks import run_check

    return run_check()


def cmd_sync(args: argparse.Namespace) -> int:
    from bot.sync import run_sync

    return run_sync(args.guild)


def cmd_replay(args: argparse.Namespace) -> int:
    from bot.replay import run_replay_file

    return run_replay_file(args.scenario)


def cmd_demo(_args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo()


def cmd_screen(args: argparse.Namespace) -> int:
    from bot.screen_cli import run_screen

    return run_screen(args.eval, lexicon=args.lexicon, errors=args.errors)


def cmd_backup(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from bot.backup import BackupError, backup, default_backup_path
    from bot.settings import Settings

    settings = load_settings()
    assert isinstance(settings, Settings)
    database = Path(settings.database_path)
    target = Path(args.path) if args.path else default_backup_path(database, datetime.now(UTC))
    try:
        copy = backup(database, target)
    except BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Backed up {database} to {copy.path} (schema version {copy.schema_version}, {copy.circles} circles).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.backup import BackupError, restore
    from bot.settings import Settings

    settings = load_settings()
    assert isinstance(settings, Settings)
    database = Path(settings.database_path)
    try:
        copy = restore(Path(args.path), database, force=args.force)
    except BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(
        f"Restored {args.path} as {database} (schema version {copy.schema_version}, {copy.circles} circles); "
        f"the database it replaced is kept as {database.name}.before-restore. Start the bot again."
    )
    return 0


def _quiet_on_closed_pipe() -> None:
    """Whoever read our output has gone (`... | head`): send the rest nowhere, so Python's exit flush is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_on_closed_pipe()
        return 0
    except KeyboardInterrupt:
        # Ctrl-C before the bot's own signal handling is in place (while importing, say): no traceback.
        return 130
    return code


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Empathy Circles, a peer-support Discord bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)").set_defaults(func=cmd_run)
    sub.add_parser("check", help="check settings and data files; print intents and the invite link").set_defaults(
        func=cmd_check
    )
    sync = sub.add_parser("sync", help="sync slash commands globally, or to one server")
    sync.add_argument("--guild", type=int, default=None, help="a server id; without it the sync is global")
    sync.set_defaults(func=cmd_sync)
    replay = sub.add_parser("replay", help="replay a scenario against the offline stand-in")
    replay.add_argument("scenario")
    replay.set_defaults(func=cmd_replay)
    sub.add_parser("demo", help="play a short circle offline and show what each person sees").set_defaults(
        func=cmd_demo
    )
    screen = sub.add_parser(
        "screen", help="crisis screen: one JSON line per message read on stdin, or --eval a labelled file"
    )
    screen.add_argument("--eval", metavar="FILE.jsonl", default=None, help='score it on lines of {"text", "tier"}')
    screen.add_argument("--lexicon", metavar="FILE.toml", default=None, help="another lexicon (default: the shipped)")
    screen.add_argument("--errors", action="store_true", help="with --eval: also list the messages screened wrongly")
    screen.set_defaults(func=cmd_screen)
    backup = sub.add_parser("backup", help="write a consistent copy of the database, also while the bot runs")
    backup.add_argument("path", nargs="?", default=None, help="where (default: a dated file in data/backups/)")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="check a backup, then put it in place of the database (bot stopped)")
    restore.add_argument("path", help="the backup file")
    restore.add_argument("--force", action="store_true", help="restore even if the database looks in use")
    restore.set_defaults(func=cmd_restore)
    args = parser.parse_args(argv)
    if args.command is None:
        return cmd_run(args)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
