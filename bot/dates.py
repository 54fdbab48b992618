"""Dates as buyers type them: «25.12.2026», «25.12», «25 декабря», «через 12 дней», «12».

Pure. ``parse_end`` reads when buyer protection ends (a date ahead, or days left);
``parse_past`` reads when receipt was confirmed (a date behind, or days ago).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.matching import normalize

#: Buyer protection lasts at most 90 days; allow some slack for extensions.
MAX_AHEAD_DAYS = 180
MAX_BEHIND_DAYS = 366

_MONTHS = {
    "янв": 1,
    "фев": 2,
    "мар": 3,
    "апр": 4,
    "мая": 5,
    "май": 5,
    "июн": 6,
    "июл": 7,
    "авг": 8,
    "сен": 9,
    "окт": 10,
    "ноя": 11,
    "дек": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_NUMERIC = re.compile(r"(\d{1,2})[./\-](\d{1,2})(?:[./\-](\d{4}|\d{2}))?")
_WORDY = re.compile(r"(\d{1,2}) ([a-zа-я]{3,})(?: (\d{4}))?")
_DAYS = re.compile(r"(\d{1,3})")
_RELATIVE = {"сегодня": 0, "today": 0, "завтра": 1, "tomorrow": 1, "вчера": -1, "yesterday": -1}


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _explicit(text: str, today: date, ahead: bool) -> date | None:
    """A written date; without a year, the nearest one on the expected side of today."""
    raw = text.strip().lower().replace("ё", "е")
    match = _NUMERIC.search(raw)
    if match:
        day, month, year = int(match[1]), int(match[2]), match[3]
    else:
        words = normalize(raw)
        wordy = _WORDY.search(words)
        if not wordy:
            return None
        month_name = wordy[2][:3]
        if month_name not in _MONTHS:
            return None
        day, month, year = int(wordy[1]), _MONTHS[month_name], wordy[3]
    if year is not None:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return _make(full_year, month, day)
    candidate = _make(today.year, month, day)
    if candidate is None:
        return None
    if ahead and candidate < today:
        return _make(today.year + 1, month, day)
    if not ahead and candidate > today:
        return _make(today.year - 1, month, day)
    return candidate


def _relative(text: str, today: date, ahead: bool) -> date | None:
    """«сегодня», «через 12 дней», «осталось 12 дней», «12»; «12 дней назад» when behind."""
    words = normalize(text)
    for word, shift in _RELATIVE.items():
        if word in words.split():
            return today + timedelta(days=shift)
    if _NUMERIC.search(text) or not words:
        return None
    match = _DAYS.fullmatch(words) or _DAYS.search(words)
    if match is None:
        return None
    days = int(match[1])
    if ahead:
        return today + timedelta(days=days)
    return today - timedelta(days=days)


def parse_end(text: str, today: date) -> date | None:
    """When buyer protection ends: a date not in the past and not absurdly far."""
    found = _explicit(text, today, ahead=True) or _relative(text, today, ahead=True)
    if found is None or not today <= found <= today + timedelta(days=MAX_AHEAD_DAYS):
        return None
    return found


def parse_past(text: str, today: date) -> date | None:
    """When receipt was confirmed: a date not in the future and within a year."""
    found = _explicit(text, today, ahead=False)
    if found is None:
        found = _relative(text, today, ahead=False)
    if found is None or not today - timedelta(days=MAX_BEHIND_DAYS) <= found <= today:
        return None
    return found
