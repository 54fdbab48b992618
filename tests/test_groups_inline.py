"""Inline help in any chat, and the conversation inside group chats, end to end."""

from __future__ import annotations

import pytest

from bot.guide import load_guide
from tests.fake_telegram import FakeTelegram
from tests.harness import JSON, Bot, Person

GROUP: JSON = {"id": -1001234567890, "type": "supergroup", "title": "Покупки с Али"}
BOT = "complaint_test_bot"
DEEP_LINK = f"https://t.me/{BOT}?start=complaint"


async def inline(fake: FakeTelegram, person: Person, query: str) -> tuple[list[JSON], JSON]:
    """Send an inline query; return the results and the answerInlineQuery parameters."""
    query_id = fake.send_inline_query(person.user, query)
    await fake.wait_for(lambda: query_id in fake.inline_answers)
    call = next(
        c for c in fake.calls_of("answerInlineQuery") if c.params["inline_query_id"] == query_id
    )
    return fake.inline_answers[query_id], call.params


# ---- inline mode ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "card", "box_label"),
    [
        ("не пришла посылка", "p.not_arrived", "Products not received"),
        ("посылка сломана", "p.broken", "Products not as described"),
        ("прислали не тот размер", "p.wrong_variant", "Products not as described"),
        ("плохое качество", "p.poor_quality", "Products not as described"),
        ("деньги списали, а заказ не оплачен", "p.unpaid", "Payment not received"),
        ("подделка", "p.fake", "Intellectual Property Rights (IPR) Infringement"),
        ("украли мои фото", "p.photos", "Picture stealing"),
        ("просит оплатить вне сайта", "p.other", "Violation of AliExpress Trade Rules"),
        ("ПАСЫЛКА НЕ ПРИШЛА!!!", "p.not_arrived", "Products not received"),  # case, typo
    ],
)
async def test_inline_ranks_the_matching_card_first(
    bot: Bot, fake: FakeTelegram, anya: Person, query: str, card: str, box_label: str
) -> None:
    results, _ = await inline(fake, anya, query)
    first = results[0]
    assert first["id"] == card
    assert box_label in first["description"]
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    text = content["message_text"]
    assert box_label in text
    if card == "p.unpaid":  # the payment check, not a complaint
        assert "до 24 часов" in text
        assert "не платите второй раз" in text
    else:
        assert "жалоба сама по себе деньги не возвращает" in text
        assert "buyer@aliexpress.com" in text
        assert "«Подать жалобу»" in text
    assert first["reply_markup"]["inline_keyboard"][0][0]["url"] == DEEP_LINK


async def test_every_card_links_to_its_sources_in_a_private_chat(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    results, _ = await inline(fake, anya, "подделка")
    guide = load_guide()
    for result in results:
        rows = result["reply_markup"]["inline_keyboard"]
        assert rows[1][0]["text"] == "Источники"
        topic = result["id"].removeprefix("p.")
        assert rows[1][0]["url"] == f"https://t.me/{BOT}?start=src_{topic}"
    listing = await anya.command("/start src_fake")  # what the link sends
    assert "Источники ответа «Подделка бренда»" in listing.text
    urls = {e["url"] for e in listing.entities if e["type"] == "text_link"}
    assert {guide.sources["seed"].url, guide.sources["S16"].url} <= urls  # the guide; IPP
    assert guide.sources["S12"].url not in urls  # the payment check is another card's
    start = await anya.command("/start src_start")
    assert "Источники ответа «С чего начать: спор или жалоба?»" in start.text
    assert guide.sources["S1"].url in {e["url"] for e in start.entities if e["type"] == "text_link"}
    nonsense = await anya.command("/start src_../../etc")  # a forged payload: no card
    assert "Источники ответа" not in nonsense.text


async def test_empty_query_shows_where_to_start_and_every_box(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    results, params = await inline(fake, anya, "")
    assert results[0]["id"] == "start"
    assert results[0]["title"] == "С чего начать: спор или жалоба?"
    start = results[0]["input_message_content"]["message_text"]
    assert "По справочнику: пока вы не подтвердили получение" in start
    assert "в течение 15 дней после завершения заказа" in start
    descriptions = " ".join(r["description"] for r in results)
    for label in (
        "Products not received",
        "Payment not received",
        "Products not as described",
        "Intellectual Property Rights (IPR) Infringement",
        "Picture stealing",
        "Violation of AliExpress Trade Rules",
    ):
        assert label in descriptions
    ids = [r["id"] for r in results]
    assert len(ids) == len(set(ids)) <= 50
    assert all(1 <= len(i.encode()) <= 64 for i in ids)
    assert 60 <= int(params["cache_time"]) <= 3600


async def test_nonsense_query_still_offers_every_card(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    results, _ = await inline(fake, anya, "ываыва " * 30)
    assert len(results) == 9
    assert results[0]["id"] == "start"


# ---- groups --------------------------------------------------------------------------------


@pytest.fixture
def anya_in_group(fake: FakeTelegram) -> Person:
    return Person(fake, 2001, name="Аня", chat=GROUP)


@pytest.fixture
def boris_in_group(fake: FakeTelegram) -> Person:
    return Person(fake, 2002, name="Борис", chat=GROUP)


def message_of(fake: FakeTelegram, message_id: int) -> str:
    return next(m for m in fake.bot_messages(GROUP["id"]) if m.message_id == message_id).text


async def test_two_people_in_a_group_do_not_cross(
    bot: Bot, fake: FakeTelegram, anya_in_group: Person, boris_in_group: Person
) -> None:
    anya, boris = anya_in_group, boris_in_group
    fake.send_command(anya.user, f"/complaint@{BOT}", GROUP)
    await fake.wait_processed()
    anyas = anya.last
    command = fake.send_command(boris.user, f"/complaint@{BOT}", GROUP)
    await fake.wait_processed()
    boriss = boris.last
    assert anyas.message_id != boriss.message_id
    assert boriss.reply_to_message_id == command["message_id"]  # answers the command
    assert "Пройти в личном чате" in boriss.button_labels()
    assert DEEP_LINK in str(boriss.reply_markup)

    # Interleaved: Аня says «Нет», Борис says «Да», then each goes on.
    await anya.tap("Нет", anyas)
    await boris.tap("Да", boriss)
    assert "Защита покупателя" in message_of(fake, anyas.message_id)
    assert "Когда вы подтвердили получение?" in message_of(fake, boriss.message_id)
    await anya.tap("Нет, уже закончилась", fake.bot_messages(GROUP["id"])[0])
    await anya.tap("Больше 15 дней назад", fake.bot_messages(GROUP["id"])[0])
    await boris.tap("Больше 15 дней назад", fake.bot_messages(GROUP["id"])[1])
    await anya.tap("Подделка", fake.bot_messages(GROUP["id"])[0])
    await boris.tap("Посылка так и не пришла", fake.bot_messages(GROUP["id"])[1])
    assert "Intellectual Property Rights" in message_of(fake, anyas.message_id)
    assert "Products not received" in message_of(fake, boriss.message_id)


async def test_a_strangers_press_gets_an_alert_and_changes_nothing(
    bot: Bot, fake: FakeTelegram, anya_in_group: Person, boris_in_group: Person
) -> None:
    fake.send_command(anya_in_group.user, f"/complaint@{BOT}", GROUP)
    await fake.wait_processed()
    question = anya_in_group.last
    await boris_in_group.tap("Нет", question)
    answer = fake.calls_of("answerCallbackQuery")[-1].params
    assert answer.get("show_alert") in (True, "true", "True")
    assert "для другого участника" in answer["text"]
    after = fake.bot_messages(GROUP["id"])[0]
    assert after.text == question.text
    assert after.button_labels() == question.button_labels()
    # Аня's conversation is where she left it.
    await anya_in_group.tap("Да", after)
    assert "Когда вы подтвердили получение?" in message_of(fake, question.message_id)


async def test_start_in_a_group_replies_and_chatter_is_ignored(
    bot: Bot, fake: FakeTelegram, anya_in_group: Person
) -> None:
    command = fake.send_command(anya_in_group.user, f"/start@{BOT}", GROUP)
    await fake.wait_processed()
    greeting = anya_in_group.last
    assert "Здравствуйте" in greeting.text
    assert greeting.reply_to_message_id == command["message_id"]
    before = len(fake.calls_of("sendMessage"))
    fake.send_text(anya_in_group.user, "да, а у меня посылка не пришла", GROUP)
    fake.send_sticker(anya_in_group.user, GROUP)
    fake.send_command(anya_in_group.user, "/other_bots_command", GROUP)
    await fake.wait_processed()
    assert len(fake.calls_of("sendMessage")) == before


async def test_added_to_a_group_says_hello_once(
    bot: Bot, fake: FakeTelegram, anya_in_group: Person
) -> None:
    fake.add_bot_to_group(anya_in_group.user, GROUP)
    await fake.wait_processed()
    messages = fake.bot_messages(GROUP["id"])
    assert len(messages) == 1
    assert f"/complaint@{BOT}" in messages[0].text
    assert f"@{BOT} не пришла посылка" in messages[0].text
