"""Every answer fits a phone screen before anything is unfolded: at most 700 characters,
the rest of it in Telegram's expandable quotation, in the same message."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.i18n import Catalogs
from bot.render import Renderer
from tests.fake_telegram import BotMessage, FakeTelegram, parse_html
from tests.harness import Bot, Person

#: What a phone shows of an answer before anything is tapped.
FIRST_SCREEN = 700
PROBLEMS = [
    ("Посылка так и не пришла", "Products not received"),
    ("Пришло сломанным или с браком", "Products not as described"),
    ("Не тот цвет или размер", "Products not as described"),
    ("Плохое качество, не как в описании", "Products not as described"),
    ("Подделка бренда", "Intellectual Property Rights (IPR) Infringement"),
    ("Продавец украл мои фото", "Picture stealing"),
    ("Другое нарушение продавца", "Violation of AliExpress Trade Rules"),
]


def unfolded(text: str, entities: list[dict[str, Any]]) -> str:
    """The text without what its expandable quotation holds (entity offsets are UTF-16)."""
    encoded = text.encode("utf-16-le")
    for entity in entities:
        if entity["type"] == "expandable_blockquote":
            start, length = entity["offset"] * 2, entity["length"] * 2
            encoded = encoded[:start] + encoded[start + length :]
    return encoded.decode("utf-16-le")


def first_screen(message: BotMessage) -> str:
    folded = [e for e in message.entities if e["type"] == "expandable_blockquote"]
    assert len(folded) == 1, message.text[:200]  # the rest is one tap away
    shown = unfolded(message.text, message.entities)
    assert len(shown) <= FIRST_SCREEN, (len(shown), shown)
    assert shown.count("Откройте") <= 1, shown  # one thing to open first, not three
    assert "(а)" not in message.text  # «заказывал(а)» reads as a form, not as a person
    return shown


@pytest.mark.parametrize(("button", "form_label"), PROBLEMS)
async def test_each_complaint_shows_what_to_do_first(
    bot: Bot, anya: Person, button: str, form_label: str
) -> None:
    await anya.command("/complaint")
    await anya.tap("Да")
    await anya.tap("Больше 15 дней назад")
    answer = await anya.tap(button)
    shown = first_screen(answer)
    assert form_label in shown  # the box to tick
    assert "Disputes & Reports" in shown  # where to click today
    assert "жалоба сама по себе деньги не возвращает" in shown  # the warning that matters
    # Nothing is lost: the guide's route and addresses are in the same message.
    for kept in ("«Помощь»", "«Подать жалобу»", "buyer@aliexpress.com", "Что собрать"):
        assert kept in answer.text


@pytest.mark.parametrize(
    ("path", "typed", "expected"),
    [
        (("Нет", "Да, ещё действует"), None, "Откройте спор — жалоба пока не нужна."),
        (("Да", "Не больше 15 дней назад"), None, "Спор ещё можно открыть."),
        (("Нет", "Нет, уже закончилась"), "5 дней назад", "Спор ещё можно открыть — до"),
    ],
)
async def test_the_dispute_advice_shows_what_to_do_first(
    bot: Bot, anya: Person, path: tuple[str, ...], typed: str | None, expected: str
) -> None:
    await anya.command("/complaint")
    for label in path:
        advice = await anya.tap(label)
    if typed is not None:
        advice = await anya.say(typed)
    shown = first_screen(advice)
    assert expected in shown
    assert "Как открыть спор" in shown
    assert "Что будет дальше" in advice.text  # folded, still there


async def test_the_dates_and_the_payment_advice_show_what_to_do_first(
    bot: Bot, anya: Person
) -> None:
    await anya.command("/deadline")
    dates = await anya.say("осталось 20 дней")
    assert "Защита покупателя заканчивается" in first_screen(dates)
    await anya.command("/complaint")
    unpaid = await anya.tap("Деньги списали, а заказ не оплачен")
    assert "до 24 часов" in first_screen(unpaid)


async def test_every_inline_card_shows_what_to_do_first(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    query_id = fake.send_inline_query(anya.user, "")
    await fake.wait_for(lambda: query_id in fake.inline_answers)
    cards = fake.inline_answers[query_id]
    assert len(cards) == 9
    for card in cards:
        content = card["input_message_content"]
        text, entities = parse_html(content["message_text"])
        if card["id"] == "start":
            assert len(text) <= FIRST_SCREEN
            continue
        shown = unfolded(text, entities)
        assert len(shown) <= FIRST_SCREEN, (card["id"], len(shown))
        assert any(e["type"] == "expandable_blockquote" for e in entities), card["id"]


@pytest.mark.parametrize(
    ("start", "stop", "written"),
    [
        ("2026-12-18", "2026-12-20", "с 18 по 20 декабря 2026 г."),
        ("2026-11-29", "2026-12-01", "с 29 ноября по 1 декабря 2026 г."),
        ("2026-12-30", "2027-01-01", "с 30 декабря 2026 г. по 1 января 2027 г."),
    ],
)
def test_a_range_of_days_reads_as_russian_writes_it(start: str, stop: str, written: str) -> None:
    tr = Catalogs.load().translator("ru")
    text = Renderer._range(date.fromisoformat(start), date.fromisoformat(stop), tr)
    assert text.replace("\u202f", " ") == written


async def test_the_extension_advice_is_given_when_it_is_due(bot: Bot, anya: Person) -> None:
    await anya.command("/deadline")
    early = await anya.say("осталось 20 дней")
    assert "попросите продлить защиту" in early.text
    assert "сегодня" not in first_screen(early)
    await anya.command("/deadline")
    due = await anya.say("осталось 6 дней")  # within the 5–7 days before the end
    assert "попросите продлить защиту сегодня" in first_screen(due)
