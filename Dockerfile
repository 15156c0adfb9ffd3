# Empathy Circles in a container. `docker compose up -d --build` builds and runs it (README: "Deploying").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The bot runs as its own unprivileged user; the only place it writes is the database's folder, a volume.
RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin circles \
    && install -d -o circles -g circles -m 0750 /var/lib/empathy-circles

WORKDIR /app
COPY . .
# The README's install, with requirements.lock as constraints (-c) instead of a list (-r): exactly the versions CI
# tested, without CI's own tools (pytest, ruff, mypy).
RUN python3 -m venv .venv \
    && .venv/bin/pip install -c requirements.lock -e . \
    && .venv/bin/python -m compileall -q bot cogs

ENV DATABASE_PATH=/var/lib/empathy-circles/empathy-circles.db \
    HEALTH_PORT=8080
VOLUME ["/var/lib/empathy-circles"]
USER circles

# /healthz answers 200 while every shard is connected and the database answers (inside the container only:
# HEALTH_HOST stays 127.0.0.1 unless you set it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD [".venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['HEALTH_PORT'] + '/healthz', timeout=4)"]

# SIGTERM (`docker stop`) closes the bot cleanly: work under way gets 8 s, then Discord and the database close.
STOPSIGNAL SIGTERM
# The README's run command, started directly (no shell) so the bot itself receives the signal.
CMD [".venv/bin/python", "-m", "bot"]
