"""Logging set-up that keeps the bot token out of every line."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from bot.config import Secret

_REDACTED = "<token>"


def redact_record(record: logging.LogRecord, secret: str) -> logging.LogRecord:
    """Replace ``secret`` in the record's message and traceback, formatting them early."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call: let logging report it as it always does
        return record
    if secret in message:
        record.msg, record.args = message.replace(secret, _REDACTED), None
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text and secret in record.exc_text:
        record.exc_text = record.exc_text.replace(secret, _REDACTED)
    return record


def install_redaction(secret: Secret) -> Callable[[], None]:
    """Redact the token from every log record created from now on, whatever its handler.

    A record factory (not a handler filter) so that records reaching any handler, including
    ones added later by a library or a test, are already clean. Returns a function that
    undoes it.
    """
    value = secret.reveal()
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs), value)

    if value:
        logging.setLogRecordFactory(factory)
    return lambda: logging.setLogRecordFactory(previous)


def setup_logging(level: str, secrets: Sequence[Secret] = ()) -> None:
    for secret in secrets:
        install_redaction(secret)
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and the Bot API puts the token in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters, people's answers among them.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
