"""Settings, read once from the environment at start-up."""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_PATH = Path("data") / "bot.sqlite3"
DEFAULT_SESSION_MAX_AGE_DAYS = 30.0
DEFAULT_REMINDER_POLL_S = 30.0
DEFAULT_PORT = 8443
DEFAULT_BACKUP_EVERY_H = 24.0
#: What Telegram accepts as a webhook's secret token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(ValueError):
    """The environment does not describe a runnable bot. The message says what to set."""


class Secret:
    """A value that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive finite number from ``env[name]``, or ``default`` when it is not set."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number, not {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    token: Secret | None
    api_base_url: str | None = None
    database_path: Path = DEFAULT_DATABASE_PATH
    log_level: str = "INFO"
    session_max_age_days: float = DEFAULT_SESSION_MAX_AGE_DAYS
    reminder_poll_s: float = DEFAULT_REMINDER_POLL_S
    admin_ids: frozenset[int] = frozenset()
    #: Set: Telegram posts updates to this HTTPS address (webhook mode); None: long polling.
    webhook_url: str | None = None
    webhook_secret: Secret | None = None
    port: int = DEFAULT_PORT  # where the webhook server listens, on every interface
    #: Set: a consistent copy of the database is written there at start and then every
    #: ``backup_every_h`` hours (replaced atomically); None: no backups by the bot.
    backup_path: Path | None = None
    backup_every_h: float = DEFAULT_BACKUP_EVERY_H

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """Values that must never reach a log line."""
        return tuple(s for s in (self.token, self.webhook_secret) if s is not None)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, need_token: bool = True) -> Settings:
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if need_token and not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its "
                "token as TELEGRAM_BOT_TOKEN (or try the bot offline: python -m bot --console)"
            )
        log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if not isinstance(logging.getLevelName(log_level), int):
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}")
        max_age = _positive(env, "SESSION_MAX_AGE_DAYS", DEFAULT_SESSION_MAX_AGE_DAYS)
        poll = _positive(env, "REMINDER_POLL_S", DEFAULT_REMINDER_POLL_S)
        raw_admins = env.get("ADMIN_IDS", "").replace(" ", "")
        try:
            admin_ids = frozenset(int(x) for x in raw_admins.split(",") if x)
        except ValueError:
            raise ConfigError(
                f"ADMIN_IDS must be Telegram user ids separated by commas, not {raw_admins!r}"
            ) from None
        webhook_url, webhook_secret, port = _webhook(env)
        database_path = Path(env.get("DATABASE_PATH", "").strip() or DEFAULT_DATABASE_PATH)
        raw_backup = env.get("BACKUP_PATH", "").strip()
        backup_path = Path(raw_backup) if raw_backup else None
        if backup_path is not None and backup_path.absolute() == database_path.absolute():
            raise ConfigError("BACKUP_PATH must be another file than DATABASE_PATH")
        backup_every_h = _positive(env, "BACKUP_EVERY_H", DEFAULT_BACKUP_EVERY_H)
        return cls(
            token=Secret(token) if token else None,
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or None,
            database_path=database_path,
            log_level=log_level,
            session_max_age_days=max_age,
            reminder_poll_s=poll,
            admin_ids=admin_ids,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            port=port,
            backup_path=backup_path,
            backup_every_h=backup_every_h,
        )


def _webhook(env: Mapping[str, str]) -> tuple[str | None, Secret | None, int]:
    """WEBHOOK_URL, WEBHOOK_SECRET and PORT, checked the way Telegram will check them."""
    raw_port = env.get("PORT", "").strip()
    try:
        port = int(raw_port) if raw_port else DEFAULT_PORT
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ConfigError(f"PORT must be a TCP port number (1–65535), not {raw_port!r}")
    url = env.get("WEBHOOK_URL", "").strip()
    if not url:
        return None, None, port
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(
            f"WEBHOOK_URL must be an https:// address Telegram can reach, not {url!r}"
        )
    secret = env.get("WEBHOOK_SECRET", "").strip()
    if not secret:
        raise ConfigError(
            "WEBHOOK_SECRET is not set: webhook mode needs a secret (1–256 characters "
            "A-Z, a-z, 0-9, _ and -) so that only Telegram can post updates, e.g. "
            "WEBHOOK_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if not _SECRET_TOKEN.fullmatch(secret):
        raise ConfigError("WEBHOOK_SECRET may only have 1–256 characters A-Z, a-z, 0-9, _ and -")
    return url, Secret(secret), port
