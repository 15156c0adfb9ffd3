"""Run `python -m bot` against a loopback Discord: for tests only, never shipped.

discord.py talks to discord.com; this points its REST base (`Route.BASE`) and gateway
(`DiscordWebSocket.DEFAULT_GATEWAY`) at the addresses in `LOOPBACK_API_BASE` and `LOOPBACK_GATEWAY`, then runs
exactly what `python -m bot` runs. Patching here keeps test-only switches out of the bot's own settings.

    LOOPBACK_API_BASE=http://127.0.0.1:PORT/api/v10 LOOPBACK_GATEWAY=ws://127.0.0.1:PORT/gateway \\
        python tests/loopback_launcher.py [run|check|...]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

# Run as a script, Python puts tests/ first on the path; the bot's packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

Route.BASE = os.environ["LOOPBACK_API_BASE"]
DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["LOOPBACK_GATEWAY"])

from bot.__main__ import main  # noqa: E402  (after the patches, as `python -m bot` would import it)

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
