"""The bot's settings, read once from the environment and `.env`, then passed down explicitly."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_PATH = Path("data") / "empathy-circles.db"


class Settings(BaseSettings):
    """Everything that changes between deployments. Importing this module never needs a token."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(default=None, description="The bot's token from the developer portal.")
    database_path: Path = Field(default=DEFAULT_DATABASE_PATH, description="Where the SQLite database lives.")
    dev_guild_id: int | None = Field(default=None, description="Sync slash commands to this server at start.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    warning_seconds: int = Field(default=30, ge=5, le=300, description="Warn the holder this long before a turn ends.")
    health_port: int | None = Field(
        default=None, ge=1, le=65535, description="Serve /healthz and /metrics on this port (off when unset)."
    )
    health_host: str = Field(default="127.0.0.1", min_length=1, description="The address the health endpoint binds.")
    shard_count: int | None = Field(default=None, ge=1, description="How many shards in all (default: Discord's pick).")
    shard_ids: tuple[int, ...] | None = Field(
        default=None, description="Which shards this process runs, like 0,1 or 0-3 (default: all of them)."
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("dev_guild_id", "health_port", "shard_count", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object) -> object:
        """`0,1,2`, `0-3` or a mix (`0-1,4`); blank is None."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        ids: list[int] = []
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            if not first.strip().isdigit() or (last and not last.strip().isdigit()):
                raise ValueError("write shard ids like 0,1 or 0-3")
            low, high = int(first), int(last) if last else int(first)
            if high < low:
                raise ValueError("a range of shard ids goes up, like 0-3")
            ids.extend(range(low, high + 1))
        return tuple(sorted(set(ids)))

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT too (how many shards there are in all)")
            if any(i >= self.shard_count for i in self.shard_ids):
                raise ValueError("every shard id in SHARD_IDS must be below SHARD_COUNT")
        return self

    @property
    def log_level_number(self) -> int:
        return logging.getLevelName(self.log_level)  # type: ignore[no-any-return]
