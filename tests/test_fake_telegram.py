"""Tests of the fake Bot API server, driven through python-telegram-bot's real Bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fake_telegram import BotMessage, FakeTelegram, parse_html

pytestmark = pytest.mark.asyncio

USER_ID = 1001


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    # Plain HTTP to 127.0.0.1: skipping the CA bundle saves ~50 ms per Bot.
    def request() -> HTTPXRequest:
        return HTTPXRequest(httpx_kwargs={"verify": False})

    client = Bot(
        fake.token, base_url=fake.base_url, request=request(), get_updates_request=request()
    )
    async with client:
        yield client


@pytest.fixture
def user(fake: FakeTelegram) -> dict[str, Any]:
    """A user whose private chat with the bot is known (they wrote /start)."""
    person = fake.make_user(USER_ID)
    fake.send_command(person, "/start")
    return person


def keyboard(*datas: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"Кнопка {d}", callback_data=d)] for d in datas]
    )


async def test_get_me_and_unknown_chat(fake: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "complaint_test_bot"
    assert bot.id == fake.bot_id
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    assert fake.rejected[-1].error == "Bad Request: chat not found"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Привет < друг", 'Unsupported start tag "" at byte offset 13'),
        (
            "<b>x</i>",
            'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        ),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("x <b", "Unclosed start tag at byte offset 2"),
    ],
)
async def test_html_rejections(
    fake: FakeTelegram, bot: Bot, user: dict[str, Any], text: str, description: str
) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(USER_ID, text, parse_mode=ParseMode.HTML)
    error = fake.rejected[-1].error
    assert error is not None
    assert error.startswith("Bad Request: can't parse entities: ")
    assert description in error


async def test_html_accepted(fake: FakeTelegram, bot: Bot, user: dict[str, Any]) -> None:
    sent = await bot.send_message(
        USER_ID,
        'Tom &amp; Jerry, 5 &gt; 3 & 2 <a href="https://example.org/?a=1&amp;b=2">ссылка</a> '
        '<b>жирный <i>курсив</i></b> <span class="tg-spoiler">спойлер</span> &#x1F600;',
        parse_mode=ParseMode.HTML,
    )
    assert sent.text == "Tom & Jerry, 5 > 3 & 2 ссылка жирный курсив спойлер 😀"
    link = next(e for e in sent.entities if e.type == "text_link")
    assert link.url == "https://example.org/?a=1&b=2"
    assert sent.parse_entity(link) == "ссылка"
    assert {e.type for e in sent.entities} == {"text_link", "bold", "italic", "spoiler"}
    stored = fake.last_bot_message(USER_ID)
    assert stored.text == sent.text
    assert stored.html.startswith("Tom &amp; Jerry")
    assert stored.parse_mode == "HTML"
    # Without parse_mode the text is literal.
    literal = await bot.send_message(USER_ID, "<b>not bold</b> a < b")
    assert literal.text == "<b>not bold</b> a < b"
    assert not literal.entities
    fake.assert_clean()


async def test_parse_html_pre_code_and_blockquote() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre><blockquote expandable>q</blockquote>'
    )
    assert text == "x = 1q"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "expandable_blockquote", "offset": 5, "length": 1},
    ]


async def test_text_length_counts_utf16_after_parsing(
    fake: FakeTelegram, bot: Bot, user: dict[str, Any]
) -> None:
    await bot.send_message(USER_ID, "я" * 4096)
    await bot.send_message(USER_ID, "😀" * 2048)  # 2 UTF-16 units each
    await bot.send_message(USER_ID, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    fake.assert_clean()
    for too_long in ("я" * 4097, "😀" * 2048 + "a"):
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER_ID, too_long)
    for empty in ("   \n ", "<b> </b>"):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(USER_ID, empty, parse_mode=ParseMode.HTML)
    assert [c.error for c in fake.rejected] == [
        "Bad Request: message is too long",
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
        "Bad Request: message text is empty",
    ]


async def test_markdown_v2_reserved_characters(bot: Bot, user: dict[str, Any]) -> None:
    with pytest.raises(BadRequest, match="reserved and must be escaped"):
        await bot.send_message(USER_ID, "Готово.", parse_mode=ParseMode.MARKDOWN_V2)
    sent = await bot.send_message(USER_ID, r"*Готово*\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert sent.text == "Готово."
    assert sent.entities[0].type == "bold"


async def test_callback_data_limit_is_64_bytes(
    fake: FakeTelegram, bot: Bot, user: dict[str, Any]
) -> None:
    await bot.send_message(USER_ID, "ok", reply_markup=keyboard("я" * 32))  # 64 bytes
    fake.assert_clean()
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER_ID, "too long", reply_markup=keyboard("я" * 32 + "a"))
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await bot.send_message(
            USER_ID,
            "bad url",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", url="example.org")]]),
        )
    row = [InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(9)]
    with pytest.raises(BadRequest, match="Too many buttons in a row"):
        await bot.send_message(USER_ID, "wide", reply_markup=InlineKeyboardMarkup([row]))
    assert [c.error for c in fake.rejected] == [
        "Bad Request: BUTTON_DATA_INVALID",
        "Bad Request: BUTTON_URL_INVALID",
        "Bad Request: too many buttons in a row",
    ]
    assert len(fake.bot_messages(USER_ID)) == 1


async def test_edit_not_modified_and_keyboard_removal(
    fake: FakeTelegram, bot: Bot, user: dict[str, Any]
) -> None:
    sent = await bot.send_message(USER_ID, "Выберите", reply_markup=keyboard("a", "b"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Выберите", USER_ID, sent.message_id, reply_markup=keyboard("a", "b")
        )
    # Same text without reply_markup is a change: it removes the keyboard.
    edited = await bot.edit_message_text("Выберите", USER_ID, sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.reply_markup is None
    current = fake.last_bot_message(USER_ID)
    assert current.reply_markup is None
    assert current.buttons() == []
    assert current.edits == 1
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Выберите", USER_ID, sent.message_id)
    await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard("c"))
    assert fake.last_bot_message(USER_ID).callback_datas() == ["c"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard("c"))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER_ID, 999)
    assert await bot.delete_message(USER_ID, sent.message_id)
    assert fake.bot_messages(USER_ID) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER_ID, sent.message_id)
    assert len(fake.rejected) == 5


async def test_callback_answered_twice_is_rejected(
    fake: FakeTelegram, bot: Bot, user: dict[str, Any]
) -> None:
    await bot.send_message(
        USER_ID, "Выберите", reply_markup=keyboard("v1:shop:ali", "v1:shop:ozon")
    )
    message = fake.last_bot_message(USER_ID)
    query_id = fake.press_button(user, message, "ozon")
    with pytest.raises(AssertionError, match="labels"):
        fake.press_button(user, message, "Кнопка")  # ambiguous
    assert fake.unanswered_callbacks == {query_id}
    with pytest.raises(AssertionError, match="unanswered"):
        fake.assert_clean()

    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query is not None
    assert query.data == "v1:shop:ozon"
    assert query.message is not None
    assert query.message.message_id == message.message_id
    with pytest.raises(BadRequest, match="Message_too_long"):
        await query.answer("x" * 201)
    assert await query.answer("Принято")
    fake.rejected.clear()
    fake.assert_clean()
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer()
    with pytest.raises(AssertionError, match="query is too old"):
        fake.assert_clean()
    assert fake.callback_answers[query_id] == {"text": "Принято"}


async def test_get_updates_offset_and_long_poll_wakeup(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.make_user(USER_ID, username="anna")
    first = fake.send_text(anna, "привет")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [1]
    assert updates[0].message is not None
    assert updates[0].message.text == "привет"
    assert updates[0].message.message_id == first["message_id"]
    # Not confirmed yet: served again.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [1]

    async def later() -> None:
        await asyncio.sleep(0.1)
        fake.send_command(anna, "/start complaint")

    started = time.monotonic()
    task = asyncio.create_task(later())
    updates = await bot.get_updates(offset=2, timeout=5)
    await task
    assert time.monotonic() - started < 1.5
    assert [u.update_id for u in updates] == [2]
    message = updates[0].message
    assert message is not None
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")
    with pytest.raises(AssertionError, match="unconfirmed updates"):
        await fake.wait_processed(timeout=0.05)
    assert await bot.get_updates(offset=3, timeout=0) == ()
    await fake.wait_processed(timeout=1)


async def test_stop_ends_pending_long_poll(fake: FakeTelegram, bot: Bot) -> None:
    task = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.wait_for(lambda: fake.waiting_polls == 1, timeout=1)
    started = time.monotonic()
    await fake.stop()
    assert await asyncio.wait_for(task, 2) == ()
    assert time.monotonic() - started < 1.5


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fail_next_retry_after_and_forbidden(
    fake: FakeTelegram, bot: Bot, user: dict[str, Any]
) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter, match=r"Retry in (3 seconds|0:00:03)"):
        await bot.send_message(USER_ID, "hi")
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", times=2)
    for _ in range(2):
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(USER_ID, "hi")
    await bot.send_message(USER_ID, "hi")
    assert [c.ok for c in fake.calls_of("sendMessage")] == [False, False, False, True]
    fake.assert_clean()  # injected faults are not rejections


async def test_unknown_method_wrong_token_and_raw_json(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    assert fake.rejected[-1].status == 404
    fake.rejected.clear()
    anna = fake.make_user(USER_ID)
    fake.send_text(anna, "hi")
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_url}{fake.token}/sendMessage"
        payload = {
            "chat_id": USER_ID,
            "text": "<b>json</b>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]},
        }
        async with session.post(url, json=payload) as response:
            body = await response.json()
        async with session.post(f"{fake.base_url}{fake.token}/nope") as response:
            missing = (response.status, await response.json())
    assert body["ok"] is True
    assert body["result"]["text"] == "json"
    assert fake.last_bot_message(USER_ID).callback_datas() == ["1"]
    assert missing == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )


async def test_wrong_token_raises_invalid_token(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=fake.base_url):
            pass
    assert fake.rejected[-1].error == "Unauthorized"
    assert fake.rejected[-1].status == 401


async def test_set_my_commands_validation(fake: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand("start", "Начать"), BotCommand("complaint", "Жалоба")]
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(commands, scope=scope, language_code="ru")
    got = await bot.get_my_commands(scope=scope, language_code="ru")
    assert [c.command for c in got] == ["start", "complaint"]
    assert await bot.get_my_commands() == ()
    assert fake.commands({"type": "all_private_chats"}, "ru")[1]["description"] == "Жалоба"
    bad: list[tuple[list[BotCommand], str]] = [
        ([BotCommand("Start", "x")], "BOT_COMMAND_INVALID"),
        ([BotCommand("a" * 33, "x")], "BOT_COMMAND_INVALID"),
        ([BotCommand("start", "")], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand("start", "x" * 257)], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand(f"c{i}", "x") for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
    ]
    for value, code in bad:
        with pytest.raises(BadRequest):
            await bot.set_my_commands(value)
        assert fake.rejected[-1].error == f"Bad Request: {code}"
    assert await bot.delete_my_commands(scope=scope, language_code="ru")
    assert fake.commands({"type": "all_private_chats"}, "ru") == []


async def test_inline_query_answers(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.make_user(USER_ID)
    query_id = fake.send_inline_query(anna, "али")

    def article(result_id: str, text: str = "ok") -> InlineQueryResultArticle:
        return InlineQueryResultArticle(result_id, "Заголовок", InputTextMessageContent(text))

    with pytest.raises(BadRequest, match="Results_too_much"):
        await bot.answer_inline_query(query_id, [article(str(i)) for i in range(51)])
    with pytest.raises(BadRequest, match="Result_id_duplicate"):
        await bot.answer_inline_query(query_id, [article("1"), article("1")])
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.answer_inline_query(
            query_id,
            [
                InlineQueryResultArticle(
                    "1", "t", InputTextMessageContent("a < b", parse_mode=ParseMode.HTML)
                )
            ],
        )
    assert await bot.answer_inline_query(query_id, [article("1"), article("2")])
    assert [r["id"] for r in fake.inline_answers[query_id]] == ["1", "2"]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query(query_id, [])


async def test_groups_and_private_chats(fake: FakeTelegram, bot: Bot) -> None:
    boris = fake.make_user(2002, first_name="Борис", username="boris")
    group: dict[str, Any] = {"id": -100123, "type": "supergroup", "title": "Покупки"}
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(group["id"], "hi")
    joined = fake.add_bot_to_group(boris, group)
    assert joined["new_chat_members"][0]["id"] == fake.bot_id
    fake.send_command(boris, "/complaint@complaint_test_bot", chat=group)
    updates = await bot.get_updates(timeout=0)
    assert [u.my_chat_member is not None for u in updates] == [True, False, False]
    command = updates[-1].message
    assert command is not None
    assert command.chat.type == "supergroup"
    assert command.entities[0].length == len("/complaint@complaint_test_bot")
    await bot.send_message(group["id"], "Привет, группа")
    assert fake.last_bot_message(group["id"]).text == "Привет, группа"
    # Boris was seen only in the group: the bot cannot start a private chat with him.
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(boris["id"], "hi")
    assert len(fake.rejected) == 2
    fake.send_sticker(boris)
    fake.send_photo(boris, caption="чек")
    fake.send_voice(boris)
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    kinds = [(u.message.sticker, u.message.photo, u.message.voice) for u in updates if u.message]
    assert len(kinds) == 3
    assert kinds[0][0] is not None
    assert kinds[1][1]
    assert updates[1].message is not None
    assert updates[1].message.caption == "чек"
    assert kinds[2][2] is not None
    await bot.send_message(boris["id"], "теперь можно")


async def test_blocked_user_and_concurrent_polls(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.make_user(USER_ID)
    fake.send_text(anna, "hi")
    fake.block_bot(anna)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(USER_ID, "hi")
    fake.send_text(anna, "я вернулась")  # writing to the bot again unblocks it
    await bot.send_message(USER_ID, "hi")
    fake.assert_clean()  # a block is the user's doing, not a rejected request
    assert await bot.get_updates(offset=4, timeout=0) == ()
    older = asyncio.create_task(bot.get_updates(offset=4, timeout=5))
    await fake.wait_for(lambda: fake.waiting_polls == 1, timeout=1)
    assert await bot.get_updates(offset=4, timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await older


async def test_wait_for_timeout_lists_calls(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(AssertionError, match="getMe"):
        await fake.wait_for(lambda: False, timeout=0.05)


async def test_real_application_round_trip(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(
            "<b>Что случилось?</b>", reply_markup=keyboard("v1:problem:late", "v1:problem:broken")
        )

    async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Выбрано: {query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(choose))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    anna = fake.make_user(USER_ID)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.send_command(anna, "/start")
            await fake.wait_processed(timeout=5)
            menu: BotMessage = fake.last_bot_message(USER_ID)
            assert menu.text == "Что случилось?"
            assert menu.button_labels() == ["Кнопка v1:problem:late", "Кнопка v1:problem:broken"]
            fake.press_button(anna, menu, "broken")
            fake.send_text(anna, "эхо")
            await fake.wait_processed(timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
    assert menu.text == "Выбрано: v1:problem:broken"
    assert menu.edits == 1
    assert menu.buttons() == []
    assert fake.last_bot_message(USER_ID).text == "эхо"
    assert fake.calls[0].method in ("getMe", "deleteWebhook")
    fake.assert_clean()


# ---- flood control ---------------------------------------------------------------------------

GROUP: dict[str, Any] = {"id": -100555, "type": "supergroup", "title": "Покупки"}
OTHER_GROUP: dict[str, Any] = {"id": -100777, "type": "supergroup", "title": "Ещё"}


async def post(
    session: aiohttp.ClientSession, fake: FakeTelegram, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{fake.base_url}{fake.token}/{method}", json=params) as response:
        return response.status, await response.json()


def flooded(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


async def test_flood_limits_are_off_by_default(fake: FakeTelegram) -> None:
    anna = fake.make_user(USER_ID)
    fake.send_text(anna, "hi")
    async with aiohttp.ClientSession() as session:
        statuses = [
            (await post(session, fake, "sendMessage", chat_id=USER_ID, text=str(n)))[0]
            for n in range(40)
        ]
    assert statuses == [200] * 40
    assert fake.flood_rejections == []
    assert fake.flood_peak(1.0) == 40


async def test_flood_control_per_second_answers_429_like_telegram(fake: FakeTelegram) -> None:
    fake.enforce_flood_limits(per_second=3, per_group=None)
    anna, boris = fake.make_user(USER_ID), fake.make_user(2002, first_name="Борис")
    fake.send_text(anna, "hi")
    fake.send_text(boris, "hi")
    query_id = fake.press(anna, 1, "x")
    async with aiohttp.ClientSession() as session:
        for n in range(2):
            assert (await post(session, fake, "sendMessage", chat_id=USER_ID, text=str(n)))[
                0
            ] == 200
        # Edits count as messages too.
        edit = await post(
            session, fake, "editMessageText", chat_id=USER_ID, message_id=2, text="edited"
        )
        assert edit[0] == 200
        assert await post(session, fake, "sendMessage", chat_id=USER_ID, text="4th") == (
            429,
            flooded(1),
        )
        # Another chat is over the overall limit too; that is no early retry.
        assert (await post(session, fake, "sendMessage", chat_id=2002, text="b"))[0] == 429
        assert fake.early_retries == []
        # The same request again before retry_after has passed is.
        assert (await post(session, fake, "sendMessage", chat_id=USER_ID, text="4th"))[0] == 429
        assert [c.params["text"] for c in fake.early_retries] == ["4th"]
        # Not messages: never limited.
        assert (await post(session, fake, "answerCallbackQuery", callback_query_id=query_id))[
            0
        ] == 200
        assert (await post(session, fake, "getUpdates", timeout=0))[0] == 200
        commands = [{"command": "start", "description": "Начать"}]
        assert (await post(session, fake, "setMyCommands", commands=commands))[0] == 200
        assert (await post(session, fake, "sendChatAction", chat_id=USER_ID, action="typing"))[
            0
        ] == 200
        await asyncio.sleep(1.05)  # retry_after: 1
        assert (await post(session, fake, "sendMessage", chat_id=USER_ID, text="4th"))[0] == 200
        assert (await post(session, fake, "sendMessage", chat_id=2002, text="b"))[0] == 200
    assert len(fake.flood_rejections) == 3
    assert all(c.status == 429 for c in fake.flood_rejections)
    assert len(fake.early_retries) == 1  # the retry after the wait is on time
    assert fake.flood_peak(1.0) <= 3
    fake.assert_clean()  # 429s are not rejections
    assert [m.text for m in fake.bot_messages(USER_ID)] == ["edited", "1", "4th"]


async def test_flood_control_per_group_window(fake: FakeTelegram) -> None:
    fake.enforce_flood_limits(per_second=30, per_group=(2, 30.0))
    boris = fake.make_user(2002, first_name="Борис")
    for chat in (GROUP, OTHER_GROUP):
        fake.send_text(boris, "hi", chat)
    fake.send_text(boris, "hi")
    async with aiohttp.ClientSession() as session:
        for n in range(2):
            status, _ = await post(session, fake, "sendMessage", chat_id=GROUP["id"], text=str(n))
            assert status == 200
        status, body = await post(session, fake, "sendMessage", chat_id=GROUP["id"], text="3")
        assert status == 429
        assert body == flooded(30)  # the window frees in (just under) 30 s
        # Until then every message to that group waits, edits included, with the time left.
        status, body = await post(
            session, fake, "editMessageText", chat_id=GROUP["id"], message_id=2, text="e"
        )
        assert (status, body["parameters"]["retry_after"]) == (429, 30)
        # Other groups and private chats are not held up.
        for chat_id in (OTHER_GROUP["id"], 2002):
            assert (await post(session, fake, "sendMessage", chat_id=chat_id, text="x"))[0] == 200
    assert len(fake.flood_rejections) == 2
    assert fake.early_retries == []
    assert fake.flood_peak(30.0, chat_id=GROUP["id"]) == 2
    assert fake.flood_peak(30.0) == 4
    fake.assert_clean()


async def test_flood_control_counts_only_accepted_calls(fake: FakeTelegram) -> None:
    fake.enforce_flood_limits(per_second=2)
    anna = fake.make_user(USER_ID)
    fake.send_text(anna, "hi")
    async with aiohttp.ClientSession() as session:
        for _ in range(3):  # rejected by validation: nothing was sent
            status, _ = await post(
                session, fake, "sendMessage", chat_id=USER_ID, text="a < b", parse_mode="HTML"
            )
            assert status == 400
        for n in range(2):
            assert (await post(session, fake, "sendMessage", chat_id=USER_ID, text=str(n)))[
                0
            ] == 200
    assert len(fake.rejected) == 3
    assert fake.flood_rejections == []


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_raises_retry_after_in_ptb(
    fake: FakeTelegram, bot: Bot, user: dict[str, Any]
) -> None:
    fake.enforce_flood_limits(per_second=1)
    await bot.send_message(USER_ID, "one")
    with pytest.raises(RetryAfter, match=r"Retry in (1 seconds?|0:00:01)"):
        await bot.send_message(USER_ID, "two")
    assert fake.rejected == []
    assert len(fake.flood_rejections) == 1


async def test_flood_limits_must_make_sense() -> None:
    fake = FakeTelegram()
    with pytest.raises(ValueError, match="per_second"):
        fake.enforce_flood_limits(per_second=0)
    with pytest.raises(ValueError, match="per_group"):
        fake.enforce_flood_limits(per_group=(20, 0.0))


async def test_a_parameter_the_method_does_not_have_is_refused(fake: FakeTelegram) -> None:
    """Telegram would ignore it; the fake refuses it, so the bot sends only what the spec
    describes (editMessageReplyMarkup has no parse_mode)."""
    async with aiohttp.ClientSession() as http:
        url = f"{fake.base_url}{fake.token}/editMessageReplyMarkup"
        async with http.post(
            url, data={"chat_id": "1", "message_id": "1", "parse_mode": "HTML"}
        ) as r:
            body = await r.json()
    assert r.status == 400
    assert body["description"] == "Bad Request: editMessageReplyMarkup has no parameter parse_mode"
