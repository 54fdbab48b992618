"""The decision a buyer faces, end to end through the real bot, in Russian and in English.

An order completes when receipt is confirmed or when the protection countdown runs out;
either way a dispute stays possible for 15 days after, and only then is a complaint the
route (../shared/domain.md, sources S1–S3). Money taken for an unpaid order gets its own
advice. Every answer can show the sources behind it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from babel.dates import format_date

from bot.dates import buyer_date
from bot.guide import load_guide
from tests.fake_telegram import BotMessage, FakeTelegram
from tests.harness import Bot, Person


@dataclass(frozen=True)
class Words:
    """What a person of one language taps, types and reads."""

    language: str
    no: str
    ran_out: str
    late: str
    dont_remember: str
    unpaid_button: str
    sources: str
    back: str
    days_ago: str  # "%d days ago", typed
    ended_question: str
    dispute_until: str  # the dispute advice's last day, "%s" the date
    last_day_was: str  # the complaint route after the 15 days, "%s" the date
    where_button: str  # the hint on where the Open dispute button is
    where_status: str  # the hint on where to see whether the order is completed
    unpaid_typed: str
    unpaid_advice: tuple[str, ...]
    sources_head: str
    deadline_ended: str  # /deadline with a day that has passed, "%s" the day it ended


RU = Words(
    language="ru",
    no="Нет",
    ran_out="Нет, уже закончилась",
    late="Больше 15 дней назад",
    dont_remember="Не помню",
    unpaid_button="Деньги списали, а заказ не оплачен",
    sources="Источники",
    back="Назад",
    days_ago="%d дней назад",
    ended_question="Когда закончилась защита покупателя?",
    dispute_until="Спор ещё можно открыть — до %s",
    last_day_was="Последний день для спора был %s",
    where_button="Где посмотреть: после завершения заказа кнопка «Открыть спор»",
    where_status="Где посмотреть: откройте «Мои заказы» и этот заказ",
    unpaid_typed="Деньги списали, а заказ висит как не оплаченный",
    unpaid_advice=("до 24 часов", "не платите второй раз", "3–20 рабочих дней"),
    sources_head="Откуда взяты советы выше:",
    deadline_ended="Защита покупателя закончилась %s",
)
EN = Words(
    language="en",
    no="No",
    ran_out="No, it has run out",
    late="More than 15 days ago",
    dont_remember="I don't remember",
    unpaid_button="Money taken, order shows unpaid",
    sources="Sources",
    back="Back",
    days_ago="%d days ago",
    ended_question="When did buyer protection end?",
    dispute_until="A dispute is still possible until %s",
    last_day_was="The last day for a dispute was %s",
    where_button="Where to look: After the order is completed, the Open dispute button",
    where_status="Where to look: Open My orders and then this order",
    unpaid_typed="I was charged but the order is unpaid",
    unpaid_advice=("up to 24 hours", "Do not pay again", "3–20 working days"),
    sources_head="Where the advice above comes from:",
    deadline_ended="Buyer protection ended on %s",
)


@pytest.fixture(params=[RU, EN], ids=["ru", "en"])
def words(request: pytest.FixtureRequest) -> Words:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def buyer(fake: FakeTelegram, words: Words) -> Person:
    return Person(fake, 4100, language=words.language, name="Buyer")


def day(d: date, words: Words) -> str:
    return format_date(d, format="long", locale=words.language)


def today() -> date:
    return buyer_date(time.time())


def links(message: BotMessage) -> set[str]:
    return {e["url"] for e in message.entities if e["type"] == "text_link"}


async def countdown_ran_out(buyer: Person, words: Words) -> BotMessage:
    await buyer.command("/complaint")
    await buyer.tap(words.no)
    return await buyer.tap(words.ran_out)


async def test_countdown_ran_out_5_days_ago_is_a_dispute_with_its_last_day(
    bot: Bot, buyer: Person, words: Words
) -> None:
    when = await countdown_ran_out(buyer, words)
    assert words.ended_question in when.text
    advice = await buyer.say(words.days_ago % 5)
    last_day = today() - timedelta(days=5) + timedelta(days=15)
    assert words.dispute_until % day(last_day, words) in advice.text
    labels = advice.button_labels()
    assert words.sources in labels
    assert "Посчитать сроки" not in labels  # the day is known: no date question
    assert "Work out the dates" not in labels


async def test_countdown_ran_out_40_days_ago_is_a_complaint(
    bot: Bot, buyer: Person, words: Words
) -> None:
    await countdown_ran_out(buyer, words)
    problem = await buyer.say(words.days_ago % 40)
    last_day = today() - timedelta(days=40) + timedelta(days=15)
    assert words.last_day_was % day(last_day, words) in problem.text
    assert len(problem.button_labels()) == 8  # what went wrong: the problems


async def test_a_tap_on_15_days_or_earlier_is_a_complaint(
    bot: Bot, buyer: Person, words: Words
) -> None:
    await countdown_ran_out(buyer, words)
    problem = await buyer.tap(words.late)
    assert len(problem.button_labels()) == 8


async def test_dont_remember_says_where_to_look_and_asks_again(
    bot: Bot, buyer: Person, words: Words
) -> None:
    question = await buyer.command("/complaint")
    status = await buyer.tap(words.dont_remember)
    assert words.where_status in status.text
    assert status.button_labels() == question.button_labels()  # the same question again
    await buyer.tap(words.no)
    await buyer.tap(words.ran_out)
    where = await buyer.tap(words.dont_remember)
    assert words.where_button in where.text
    assert words.ended_question in where.text
    assert words.late in where.button_labels()


async def test_an_unpaid_order_typed_at_the_first_question_gets_the_payment_advice(
    bot: Bot, buyer: Person, words: Words
) -> None:
    await buyer.command("/complaint")
    advice = await buyer.say(words.unpaid_typed)
    for part in words.unpaid_advice:
        assert part in advice.text
    assert "Payment not received" in advice.text  # the guide's box, shown as the guide's
    assert advice.button_labels()[1] == words.sources  # after the link to the orders


async def test_an_unpaid_order_has_a_button_at_the_first_question(
    bot: Bot, buyer: Person, words: Words
) -> None:
    await buyer.command("/complaint")
    advice = await buyer.tap(words.unpaid_button)
    for part in words.unpaid_advice:
        assert part in advice.text
    sources = await buyer.tap(words.sources)
    assert load_guide().sources["S12"].url in links(sources)  # the official payment page


async def test_the_sources_button_lists_links_and_goes_back(
    bot: Bot, buyer: Person, words: Words
) -> None:
    await countdown_ran_out(buyer, words)
    advice_text = (await buyer.say(words.days_ago % 5)).text
    sources = await buyer.tap(words.sources)
    assert words.sources_head in sources.text
    guide = load_guide()
    assert guide.sources["S1"].url in links(sources)  # the 15 days after completion
    assert guide.sources["S12"].url not in links(sources)  # the payment check is elsewhere
    assert len(links(sources)) <= 24
    back = await buyer.tap(words.back)
    assert back.text == advice_text


async def test_slash_sources_lists_what_is_behind_the_answer_on_screen(
    bot: Bot, buyer: Person, words: Words
) -> None:
    await buyer.command("/complaint")
    await buyer.tap(words.unpaid_button)
    listing = await buyer.command("/sources")
    guide = load_guide()
    assert {guide.sources["S12"].url, guide.sources["S14"].url} <= links(listing)
    assert not listing.buttons()
    outside = Person(buyer.fake, 4200, language=words.language)
    everything = await outside.command("/sources")
    assert guide.sources["seed"].url in links(everything)


async def test_deadline_with_a_day_that_has_passed_gives_the_dispute_window(
    bot: Bot, buyer: Person, words: Words
) -> None:
    await buyer.command("/deadline")
    ended = today() - timedelta(days=5)
    answer = await buyer.say(words.days_ago % 5)
    assert words.deadline_ended % day(ended, words) in answer.text
    assert day(ended + timedelta(days=15), words) in answer.text
    await buyer.command("/deadline")
    late = await buyer.say(words.days_ago % 40)
    assert "/complaint" in late.text


async def test_words_that_point_somewhere_are_asked_about_with_the_likeliest_choices(
    bot: Bot, fake: FakeTelegram
) -> None:
    anya = Person(fake, 4300)
    await anya.command("/complaint")
    await anya.tap("Да")
    await anya.tap("Больше 15 дней назад")
    asked = await anya.say("трек показывает что вручено")
    assert "Похоже, дело в одном из этого" in asked.text
    assert asked.button_labels() == ["Посылка так и не пришла", "Другое"]
    everything = await anya.tap("Другое")
    assert len(everything.button_labels()) == 8  # the whole list
    again = await anya.say("здравствуйте, помогите пожалуйста")  # nothing to go on
    assert "Опишите в двух-трёх словах" in again.text
    answer = await anya.say("пасылка непришла")
    assert "Products not received" in answer.text


async def test_typed_answers_people_give_around_the_questions(bot: Bot, fake: FakeTelegram) -> None:
    anya = Person(fake, 4400)
    await anya.command("/language")
    done = await anya.say("English")  # typed instead of tapped
    assert done.text.startswith("Done: I will answer in English.")
    back = await anya.say("русский")
    assert back.text.startswith("Готово: теперь я отвечаю по-русски.")
    await anya.command("/complaint")
    await anya.tap("Нет")
    dispute = await anya.say("осталось 3 дня")
    end = day(today() + timedelta(days=3), RU)
    assert f"Защита покупателя заканчивается {end}" in dispute.text
    assert "Напомнить перед сроком" in dispute.button_labels()
    thanks = await anya.say("спасибо!")
    assert thanks.text.startswith("Пожалуйста!")
    assert "Источники" in thanks.button_labels()
