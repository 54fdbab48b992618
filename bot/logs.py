"""Logging set-up that keeps the bot token out of every line."""

from __future__ import annotations

import logging
import sys

from bot.config import Secret

_REDACTED = "<token>"


class RedactingFilter(logging.Filter):
    """Replaces the token wherever it appears in a record: message, arguments, traceback."""

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self._secret = secret.reveal()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secret:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if self._secret in message:
            record.msg, record.args = message.replace(self._secret, _REDACTED), None
        if record.exc_text and self._secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self._secret, _REDACTED)
        return True


def setup_logging(level: str, secret: Secret | None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if secret is not None:
        handler.addFilter(RedactingFilter(secret))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and the Bot API puts the token in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
