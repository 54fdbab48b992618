"""Configuration from the environment; the token never shows itself."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_PATH, ConfigError, Secret, Settings
from bot.logs import install_redaction

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:AAH-secret-token-value"


def test_defaults() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.token == Secret(TOKEN)
    assert settings.api_base_url is None
    assert settings.database_path == DEFAULT_DATABASE_PATH
    assert settings.log_level == "INFO"


def test_everything_set() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "DATABASE_PATH": "/var/lib/bot/db.sqlite3",
            "LOG_LEVEL": "debug",
            "SESSION_MAX_AGE_DAYS": "7",
        }
    )
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.database_path == Path("/var/lib/bot/db.sqlite3")
    assert settings.log_level == "DEBUG"
    assert settings.session_max_age_days == 7


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "SESSION_MAX_AGE_DAYS": "-1"}, "SESSION_MAX_AGE_DAYS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "SESSION_MAX_AGE_DAYS": "week"}, "SESSION_MAX_AGE_DAYS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "SESSION_MAX_AGE_DAYS": "nan"}, "SESSION_MAX_AGE_DAYS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "SESSION_MAX_AGE_DAYS": "inf"}, "SESSION_MAX_AGE_DAYS"),
    ],
)
def test_bad_environment_says_what_to_set(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_admin_ids() -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": " 12, 345 ,"}
    assert Settings.from_env(env).admin_ids == frozenset({12, 345})
    with pytest.raises(ConfigError, match="ADMIN_IDS"):
        Settings.from_env({**env, "ADMIN_IDS": "@boss"})


def test_console_needs_no_token() -> None:
    assert Settings.from_env({}, need_token=False).token is None


def test_token_never_in_repr() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.token)


def test_missing_token_is_one_clear_line_and_exit_code_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "BotFather" in lines[0]


def test_log_records_never_carry_the_token() -> None:
    undo = install_redaction(Secret(TOKEN))
    try:
        try:
            raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
        except RuntimeError:
            record = logging.getLogger("any").makeRecord(
                "any", logging.ERROR, __file__, 1, "url %s", (f"/bot{TOKEN}/x",), sys.exc_info()
            )
    finally:
        undo()
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted
    assert formatted.count("<token>") == 2  # in the message and in the traceback


def test_a_malformed_log_call_is_not_turned_into_an_exception() -> None:
    undo = install_redaction(Secret(TOKEN))
    try:
        record = logging.getLogger("any").makeRecord(
            "any", logging.INFO, __file__, 1, "%d", ("not a number",), None
        )
    finally:
        undo()
    assert record.msg == "%d"  # left for logging to report, as without redaction


WEBHOOK = {
    "TELEGRAM_BOT_TOKEN": TOKEN,
    "WEBHOOK_URL": "https://bot.example.org/tg/hook",
    "WEBHOOK_SECRET": "Abc_123-xyz",
}


def test_webhook_mode() -> None:
    settings = Settings.from_env({**WEBHOOK, "PORT": "10000"})
    assert settings.webhook_url == "https://bot.example.org/tg/hook"
    assert settings.webhook_secret == Secret("Abc_123-xyz")
    assert settings.port == 10000
    assert "Abc_123-xyz" not in repr(settings)
    assert settings.secrets == (Secret(TOKEN), Secret("Abc_123-xyz"))


def test_polling_without_webhook_url_and_port_defaults_to_8443() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.webhook_url is None
    assert settings.port == 8443


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"WEBHOOK_SECRET": ""}, "WEBHOOK_SECRET is not set"),
        ({"WEBHOOK_SECRET": "has spaces in it"}, "WEBHOOK_SECRET may only"),
        ({"WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET may only"),
        ({"WEBHOOK_URL": "http://bot.example.org/hook"}, "https://"),
        ({"WEBHOOK_URL": "bot.example.org/hook"}, "https://"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
    ],
)
def test_bad_webhook_settings_say_what_to_fix(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**WEBHOOK, **change})


def test_webhook_without_secret_fails_at_start_with_one_clear_line() -> None:
    env = {**os.environ, **WEBHOOK, "WEBHOOK_SECRET": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "WEBHOOK_SECRET is not set" in lines[0]
    assert TOKEN not in proc.stderr


def test_log_records_never_carry_the_webhook_secret() -> None:
    settings = Settings.from_env(WEBHOOK)
    undos = [install_redaction(secret) for secret in settings.secrets]
    try:
        record = logging.getLogger("any").makeRecord(
            "any", logging.INFO, __file__, 1, "header %s", ("Abc_123-xyz",), None
        )
    finally:
        for undo in reversed(undos):
            undo()
    assert "Abc_123-xyz" not in record.getMessage()
