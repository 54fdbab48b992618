"""The grammar of ``callback_data``: ``v1:<owner>:<seq>:<choice>``, parsed in this one place.

``owner`` is the user whose conversation the keyboard belongs to (in a group, other people
see it too); ``seq`` is the session's sequence number when the keyboard was drawn, so a
button from an older screen is recognised as stale; ``choice`` is a short ASCII code from
:mod:`bot.flow`. Telegram allows 1–64 bytes; the longest we produce is about 40.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64
# Telegram user ids fit in 52 bits: at most 16 digits.
_CHOICE_RE = r"[a-z][a-z0-9_.]{0,30}"
_PATTERN = re.compile(rf"v1:(\d{{1,16}}):(\d{{1,9}}):({_CHOICE_RE})")
_CHOICE = re.compile(_CHOICE_RE)


@dataclass(frozen=True, slots=True)
class ButtonData:
    owner: int
    seq: int
    choice: str


def encode(owner: int, seq: int, choice: str) -> str:
    # Checked in parts, not with _PATTERN on the whole: a screen encodes several buttons a
    # step, from a dozen distinct choices. The longest result is 2+1+16+1+9+1+31 = 61 bytes.
    if not (
        type(owner) is int  # not a bool, not a float
        and type(seq) is int
        and 0 <= owner < _OWNER_END
        and 0 <= seq < _SEQ_END
        and isinstance(choice, str)
        and _valid_choice(choice)
    ):
        raise ValueError(f"cannot encode callback data for choice {choice!r}")
    return f"{VERSION}:{owner}:{seq}:{choice}"


_OWNER_END, _SEQ_END = 10**16, 10**9


@functools.lru_cache(maxsize=256)
def _valid_choice(choice: str) -> bool:
    return _CHOICE.fullmatch(choice) is not None


def decode(data: str | None) -> ButtonData | None:
    """Parse callback data; ``None`` for anything this bot did not produce."""
    if not data:
        return None
    match = _PATTERN.fullmatch(data)
    if match is None:
        return None
    return ButtonData(owner=int(match[1]), seq=int(match[2]), choice=match[3])
