"""Dates as buyers type them: «25.12.2026», «25.12», «25-го декабря», «через 2 недели», «12».

Pure. ``parse_end`` reads when buyer protection ends (a date ahead, or a time left; or, when it has
ended already, the day it ended); ``parse_past`` reads when the order completed (a date
behind, or a time ago). Both answer with a :class:`Reading`: the date, or why there is none
(nothing read, or out of range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from bot.matching import lemma, normalize

#: "Today" for a buyer: most are in Russia, and Moscow time is what AliExpress's Russian
#: pages show. (Telegram does not tell a bot the user's time zone.)
BUYER_TZ = timezone(timedelta(hours=3))


def buyer_date(timestamp: float) -> date:
    """The buyer's calendar day at Unix time ``timestamp``."""
    return datetime.fromtimestamp(timestamp, BUYER_TZ).date()


#: Buyer protection lasts at most 90 days; allow some slack for extensions.
MAX_AHEAD_DAYS = 180
MAX_BEHIND_DAYS = 366

_MONTHS = {
    **dict.fromkeys(("янв", "jan"), 1),
    **dict.fromkeys(("фев", "feb"), 2),
    **dict.fromkeys(("мар", "mar"), 3),
    **dict.fromkeys(("апр", "apr"), 4),
    **dict.fromkeys(("мая", "май", "may"), 5),
    **dict.fromkeys(("июн", "jun"), 6),
    **dict.fromkeys(("июл", "jul"), 7),
    **dict.fromkeys(("авг", "aug"), 8),
    **dict.fromkeys(("сен", "sep"), 9),
    **dict.fromkeys(("окт", "oct"), 10),
    **dict.fromkeys(("ноя", "nov"), 11),
    **dict.fromkeys(("дек", "dec"), 12),
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[./\-](\d{1,2})(?:[./\-](\d{4}|\d{2}))?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?: го)? ([a-zа-я]{3,})(?: (\d{4}))?")
_MONTH_DAY = re.compile(r"([a-zа-я]{3,}) (\d{1,2})(?: (\d{4}))?")
_AMOUNT = re.compile(r"(\d{1,3})(?: ([a-zа-я]+))?")
_UNIT_DAYS = {"нед": 7, "wee": 7, "мес": 30, "mon": 30, "дн": 1, "ден": 1, "day": 1}
_WORD_AMOUNTS = {
    "неделю": 7,
    "неделя": 7,
    "неделька": 7,
    "week": 7,
    "месяц": 30,
    "month": 30,
    "день": 1,
    "сутки": 1,
    "пару дней": 2,
    "пару недель": 14,
}
_RELATIVE = {
    "сегодня": 0,
    "today": 0,
    "завтра": 1,
    "tomorrow": 1,
    "вчера": -1,
    "yesterday": -1,
    "позавчера": -2,
    "послезавтра": 2,
}


class Problem(StrEnum):
    UNREAD = "unread"  # no date in the text
    PAST = "past"  # a protection end that has passed already
    FUTURE = "future"  # a confirmation that has not happened yet
    TOO_FAR = "too_far"  # further than protection could possibly last


@dataclass(frozen=True, slots=True)
class Reading:
    day: date | None
    problem: Problem | None = None
    #: ``parse_end`` of a day that has passed (``problem`` is PAST): protection ended then.
    ended: date | None = None


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month(word: str) -> int | None:
    return _MONTHS.get(word[:3])


def _explicit(text: str, today: date, ahead: bool | None) -> date | None:
    """A written date; without a year, the nearest one on the expected side of today
    (``ahead=None``: the nearest one on either side)."""
    raw = text.strip().lower().replace("ё", "е")
    if iso := _ISO.search(raw):
        return _make(int(iso[1]), int(iso[2]), int(iso[3]))
    if numeric := _NUMERIC.search(raw):
        day, month, year = int(numeric[1]), int(numeric[2]), numeric[3]
    else:
        words = normalize(raw)
        wordy = _DAY_MONTH.search(words)
        if wordy and _month(wordy[2]):
            day, month, year = int(wordy[1]), _month(wordy[2]) or 0, wordy[3]
        elif (first := _MONTH_DAY.search(words)) and _month(first[1]):
            day, month, year = int(first[2]), _month(first[1]) or 0, first[3]
        else:
            return None
    if year is not None:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return _make(full_year, month, day)
    candidate = _make(today.year, month, day)
    if candidate is None:
        return None
    if ahead is None:
        years = (today.year - 1, today.year, today.year + 1)
        options = [d for d in (_make(y, month, day) for y in years) if d is not None]
        return min(options, key=lambda d: abs((d - today).days))
    if ahead and candidate < today:
        return _make(today.year + 1, month, day)
    if not ahead and candidate > today:
        return _make(today.year - 1, month, day)
    return candidate


_NUMBER_WORDS = {
    **dict.fromkeys(("один", "одна", "одну", "one"), "1"),
    **dict.fromkeys(("два", "две", "пару", "two"), "2"),
    **dict.fromkeys(("три", "three"), "3"),
    **dict.fromkeys(("четыре", "four"), "4"),
    **dict.fromkeys(("пять", "five"), "5"),
    **dict.fromkeys(("шесть", "six"), "6"),
    **dict.fromkeys(("семь", "seven"), "7"),
    **dict.fromkeys(("восемь", "eight"), "8"),
    **dict.fromkeys(("девять", "nine"), "9"),
    **dict.fromkeys(("десять", "ten"), "10"),
}


def _days(words: str) -> int | None:
    """A span of time in days: «12», «12 дней», «два дня», «2 недели», «через неделю»."""
    words = " ".join(_NUMBER_WORDS.get(w, w) for w in words.split())
    if amount := _AMOUNT.search(words):
        unit = amount[2] or ""
        scale = next((n for prefix, n in _UNIT_DAYS.items() if unit.startswith(prefix)), None)
        if scale is None and unit:
            # «30 дикабря»: a misspelt month, not 30 days. A misread date is worse than a
            # question asked again.
            return None
        return int(amount[1]) * (scale or 1)
    for phrase, days in sorted(_WORD_AMOUNTS.items(), key=lambda item: -len(item[0])):
        if f" {phrase} " in f" {words} ":
            return days
    for word in words.split():  # «недели», «месяца»: any form of the word
        if (span := _WORD_AMOUNTS.get(lemma(word))) is not None:
            return span
    return None


def _relative(text: str, today: date, ahead: bool) -> date | None:
    """«сегодня», «через 12 дней», «осталось 2 недели», «12»; «3 дня назад» when behind."""
    words = normalize(text)
    for word, shift in _RELATIVE.items():
        if word in words.split():
            return today + timedelta(days=shift)
    if _NUMERIC.search(text) or not words:
        return None
    days = _days(words)
    if days is None:
        return None
    return today + timedelta(days=days) if ahead else today - timedelta(days=days)


#: Words that put a span of time behind today: «5 дней назад», «5 days ago».
_AGO = frozenset({"назад", "ago"})


def parse_end(text: str, today: date) -> Reading:
    """When buyer protection ends: a date not in the past and not absurdly far.

    A date without a year is the nearest such day («30.11» on 4 December is 30 November,
    four days ago, not a year ahead); a day that has passed within a year is read as the
    day protection ended (``ended``).
    """
    behind = not _AGO.isdisjoint(normalize(text).split())
    found = _explicit(text, today, ahead=None) or _relative(text, today, ahead=not behind)
    if found is None:
        return Reading(None, Problem.UNREAD)
    if found < today - timedelta(days=MAX_BEHIND_DAYS):
        return Reading(None, Problem.TOO_FAR)
    if found < today:
        return Reading(None, Problem.PAST, ended=found)
    if found > today + timedelta(days=MAX_AHEAD_DAYS):
        return Reading(None, Problem.TOO_FAR)
    return Reading(found)


#: Words that put a span of time ahead of today: «через 5 дней», «осталось 3 дня».
_AHEAD = frozenset({"через", "осталось", "остался", "осталась", "left", "in"})


def parse_when(text: str, today: date) -> Reading:
    """When something happened or happens, on either side of today: a written date is the
    nearest such day; a span of time is behind today («10», «5 дней назад») unless the words
    put it ahead («через 5 дней», «осталось 3 дня»)."""
    words = normalize(text).split()
    ahead = not _AHEAD.isdisjoint(words)
    found = _explicit(text, today, ahead=None) or _relative(text, today, ahead=ahead)
    if found is None:
        return Reading(None, Problem.UNREAD)
    if abs((found - today).days) > MAX_BEHIND_DAYS:
        return Reading(None, Problem.TOO_FAR)
    return Reading(found)


def span_days(text: str) -> int | None:
    """A span of time in ``text``, in days: «больше 10 дней» → 10, «меньше недели» → 7."""
    return _days(normalize(text))


def parse_past(text: str, today: date) -> Reading:
    """When receipt was confirmed: a date not in the future and within a year."""
    found = _explicit(text, today, ahead=False) or _relative(text, today, ahead=False)
    if found is None:
        return Reading(None, Problem.UNREAD)
    if found > today:
        return Reading(None, Problem.FUTURE)
    if found < today - timedelta(days=MAX_BEHIND_DAYS):
        return Reading(None, Problem.TOO_FAR)
    return Reading(found)
