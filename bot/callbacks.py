"""The grammar of ``callback_data``: ``v1:<seq>:<choice>``, parsed in this one place.

``seq`` is the session's sequence number when the keyboard was drawn, so a button from an
older screen is recognised as stale; ``choice`` is a short ASCII code from :mod:`bot.flow`.
Telegram allows 1–64 bytes; the longest we produce is far below that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64
_PATTERN = re.compile(r"v1:(\d{1,9}):([a-z][a-z0-9_.]{0,39})")


@dataclass(frozen=True, slots=True)
class ButtonData:
    seq: int
    choice: str


def encode(seq: int, choice: str) -> str:
    data = f"{VERSION}:{seq}:{choice}"
    if not _PATTERN.fullmatch(data) or len(data.encode()) > MAX_BYTES:
        raise ValueError(f"cannot encode callback data for choice {choice!r}")
    return data


def decode(data: str | None) -> ButtonData | None:
    """Parse callback data; ``None`` for anything this bot did not produce."""
    if not data:
        return None
    match = _PATTERN.fullmatch(data)
    if match is None:
        return None
    return ButtonData(seq=int(match[1]), choice=match[2])
