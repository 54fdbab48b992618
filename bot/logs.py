"""Logging set-up that keeps the bot token, and what people wrote, out of every line."""

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


#: python-telegram-bot's record when getUpdates answered something it cannot read: the
#: whole batch follows, people's names and texts with it.
PTB_PARSE_FAILURE = "Error while parsing updates! Received data was %r"


def shape(value: object, depth: int = 2) -> str:
    """The field names of a JSON value, nested ``depth`` deep, without a single value."""
    if isinstance(value, dict):
        if depth <= 0:
            return "{…}"
        inner = ", ".join(
            f"{key}{shape(item, depth - 1)}" if isinstance(item, dict | list) else str(key)
            for key, item in value.items()
        )
        return "{" + inner + "}"
    if isinstance(value, list):
        return f"[{len(value)}]"
    return ""


def describe_error(exc: BaseException) -> str:
    """An exception met while reading an update, without the data that caused it: the
    missing field of a KeyError, else the exception's type only."""
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return f"KeyError: missing field {exc.args[0][:64]!r}"
    return type(exc).__name__


def describe_updates(data: object) -> str:
    """Updates as ids and field names: ``7 message{message_id, from{id, …}, text}``."""
    if not isinstance(data, list):
        return f"a {type(data).__name__}, not a list of updates"
    described = []
    for update in data[:20]:
        if not isinstance(update, dict):
            described.append(f"a {type(update).__name__}")
            continue
        kinds = ", ".join(
            f"{key}{shape(value)}" for key, value in update.items() if key != "update_id"
        )
        described.append(f"{update.get('update_id')} {kinds}")
    more = f" and {len(data) - 20} more" if len(data) > 20 else ""
    return "; ".join(described) + more


def redact_update_dump(record: logging.LogRecord) -> logging.LogRecord:
    """PTB's record of an unreadable getUpdates answer, rewritten to ids and field names.

    (The traceback goes too: its last line can quote the data. What failed is kept.)
    """
    if record.msg != PTB_PARSE_FAILURE or not record.name.startswith("telegram"):
        return record
    args = record.args
    data = args[0] if isinstance(args, tuple) and args else args
    error = record.exc_info[1] if record.exc_info else None
    record.msg = "getUpdates answered updates python-telegram-bot cannot read (%s): %s"
    record.args = (describe_error(error) if error else "no error", describe_updates(data))
    record.exc_info, record.exc_text = None, None
    return record


def install_update_redaction() -> Callable[[], None]:
    """Rewrite PTB's dump of unreadable updates in every record from now on (see
    :func:`redact_update_dump`). Returns a function that undoes it."""
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_update_dump(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    return lambda: logging.setLogRecordFactory(previous)


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
    install_update_redaction()
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
    # python-telegram-bot's DEBUG lines hold every request and answer whole (people's
    # names and texts): never logged, even at DEBUG, which adds the bot's own details.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
