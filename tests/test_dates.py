"""Dates as buyers type them, and the Russian plurals and dates the bot writes back."""

from __future__ import annotations

from datetime import date

import pytest

from bot.dates import parse_end, parse_past
from bot.i18n import Catalogs

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25.12.2026", date(2026, 12, 25)),
        ("25.12.26", date(2026, 12, 25)),
        ("25/12/2026", date(2026, 12, 25)),
        ("25.12", date(2026, 12, 25)),
        ("5.1", date(2027, 1, 5)),  # no year, already past this year: next year
        ("25 декабря", date(2026, 12, 25)),
        ("25 дек", date(2026, 12, 25)),
        ("3 января 2027", date(2027, 1, 3)),
        ("до 7 декабря", date(2026, 12, 7)),
        ("Защита покупателя: осталось 12 дней", date(2026, 12, 7)),
        ("через 12 дней", date(2026, 12, 7)),
        ("осталось 12 дней", date(2026, 12, 7)),
        ("12", date(2026, 12, 7)),
        ("сегодня", TODAY),
        ("завтра", date(2026, 11, 26)),
        ("25 December", date(2026, 12, 25)),
    ],
)
def test_end_of_protection(text: str, expected: date) -> None:
    assert parse_end(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    ["", "не знаю", "31.02.2027", "32.12", "1.1.2020", "999", "вчера", "через год"],
)
def test_nonsense_or_impossible_end_is_refused(text: str) -> None:
    assert parse_end(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20.11.2026", date(2026, 11, 20)),
        ("20.11", date(2026, 11, 20)),
        ("1.12", date(2025, 12, 1)),  # no year, would be ahead: last year
        ("3 дня назад", date(2026, 11, 22)),
        ("10", date(2026, 11, 15)),
        ("вчера", date(2026, 11, 24)),
        ("сегодня", TODAY),
    ],
)
def test_confirmation_date(text: str, expected: date) -> None:
    assert parse_past(text, TODAY) == expected


@pytest.mark.parametrize("text", ["завтра", "1.1.2020", "31.02", "кот"])
def test_impossible_confirmation_date_is_refused(text: str) -> None:
    assert parse_past(text, TODAY) is None


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 день"),
        (2, "2 дня"),
        (3, "3 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (12, "12 дней"),
        (21, "21 день"),
        (22, "22 дня"),
        (25, "25 дней"),
        (101, "101 день"),
        (111, "111 дней"),
    ],
)
def test_russian_plurals(n: int, expected: str) -> None:
    tr = Catalogs.load().translator("ru")
    assert tr.npgettext("deadline", "%(n)s day", "%(n)s days", n) == expected
