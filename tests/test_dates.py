"""Dates as buyers type them, and the Russian plurals and dates the bot writes back."""

from __future__ import annotations

from datetime import date

import pytest

from bot.dates import Problem, Reading, buyer_date, parse_end, parse_past
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
        ("December 25", date(2026, 12, 25)),
        ("Декабрь 25", date(2026, 12, 25)),
        ("25-го декабря", date(2026, 12, 25)),
        ("2026-12-25", date(2026, 12, 25)),
        ("через 2 недели", date(2026, 12, 9)),
        ("через неделю", date(2026, 12, 2)),
        ("через пару дней", date(2026, 11, 27)),
        ("осталось 3 месяца", date(2027, 2, 23)),
    ],
)
def test_end_of_protection(text: str, expected: date) -> None:
    assert parse_end(text, TODAY) == Reading(expected)


@pytest.mark.parametrize(
    "text",
    ["", "не знаю", "31.02.2027", "32.12", "через год", "до конца января"],
)
def test_nonsense_end_is_not_read(text: str) -> None:
    assert parse_end(text, TODAY) == Reading(None, Problem.UNREAD)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1.1.2020", Problem.TOO_FAR),
        ("999", Problem.TOO_FAR),
        ("через 7 месяцев", Problem.TOO_FAR),
        ("30 дикабря", Problem.UNREAD),  # a misspelt month is not «30 days»
        ("15 числа", Problem.UNREAD),
    ],
)
def test_impossible_end_says_why(text: str, problem: Problem) -> None:
    assert parse_end(text, TODAY) == Reading(None, problem)


@pytest.mark.parametrize(
    ("text", "ended"),
    [
        ("вчера", date(2026, 11, 24)),
        ("20.11.2026", date(2026, 11, 20)),
        ("20.11", date(2026, 11, 20)),  # the nearest 20 November, not next year's
        ("5 дней назад", date(2026, 11, 20)),
        ("закончилась 5 дней назад", date(2026, 11, 20)),
        ("5 days ago", date(2026, 11, 20)),
    ],
)
def test_a_protection_end_that_has_passed_is_the_day_it_ended(text: str, ended: date) -> None:
    assert parse_end(text, TODAY) == Reading(None, Problem.PAST, ended=ended)


def test_a_day_without_a_year_is_the_nearest_one() -> None:
    assert parse_end("10.01", TODAY) == Reading(date(2027, 1, 10))  # ahead, not last January
    assert parse_end("25 декабря", TODAY) == Reading(date(2026, 12, 25))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20.11.2026", date(2026, 11, 20)),
        ("20.11", date(2026, 11, 20)),
        ("1.12", date(2025, 12, 1)),  # no year, would be ahead: last year
        ("3 дня назад", date(2026, 11, 22)),
        ("10", date(2026, 11, 15)),
        ("неделю назад", date(2026, 11, 18)),
        ("2026-11-20", date(2026, 11, 20)),
        ("вчера", date(2026, 11, 24)),
        ("сегодня", TODAY),
    ],
)
def test_confirmation_date(text: str, expected: date) -> None:
    assert parse_past(text, TODAY) == Reading(expected)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("завтра", Problem.FUTURE),
        ("1.1.2020", Problem.TOO_FAR),
        ("31.02", Problem.UNREAD),
        ("кот", Problem.UNREAD),
    ],
)
def test_impossible_confirmation_date_says_why(text: str, problem: Problem) -> None:
    assert parse_past(text, TODAY) == Reading(None, problem)


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


def test_today_is_the_buyers_day_in_moscow_time() -> None:
    from datetime import UTC, datetime

    late_evening_utc = datetime(2026, 11, 25, 22, 30, tzinfo=UTC).timestamp()
    assert buyer_date(late_evening_utc) == date(2026, 11, 26)
