"""End to end: the real bot, polling over real HTTP, against a fake Bot API on 127.0.0.1.

The fake validates like Telegram (text length, HTML, callback_data bytes, "message is not
modified", every callback query answered), and every test ends with ``assert_clean``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date

from bot.config import Secret
from bot.dates import buyer_date
from bot.flow import Session, Step
from bot.logs import install_redaction
from bot.storage import SessionStore
from tests.fake_telegram import FakeTelegram
from tests.harness import Bot, Person

ROOT = Path(__file__).resolve().parent.parent
JSON = dict[str, Any]


def answered_notices(fake: FakeTelegram) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_of("answerCallbackQuery")]


# ---- the conversation --------------------------------------------------------------------


async def test_start_greets_with_a_button_and_registers_commands(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    greeting = await anya.command("/start")
    assert "Здравствуйте" in greeting.text
    assert len(greeting.text.splitlines()) <= 3
    assert greeting.button_labels() == ["Пожаловаться на продавца"]
    question = await anya.tap("Пожаловаться")
    assert question.message_id == greeting.message_id  # edited in place
    assert "Вы подтвердили получение заказа?" in question.text
    private = {"type": "all_private_chats"}
    groups = {"type": "all_group_chats"}
    for language in ("", "ru"):
        commands = {c["command"]: c["description"] for c in fake.commands(private, language)}
        everything = {
            "start",
            "complaint",
            "help",
            "cancel",
            "deadline",
            "reminders",
            "language",
            "forget",
            "sources",
        }
        assert set(commands) == everything
        assert commands["complaint"] == "Пожаловаться на продавца"
        in_groups = {c["command"] for c in fake.commands(groups, language)}
        assert in_groups == everything - {"start"}
    english = {c["command"]: c["description"] for c in fake.commands(private, "en")}
    assert english["complaint"] == "Complain about a seller"


async def test_deep_link_jumps_straight_into_the_conversation(bot: Bot, anya: Person) -> None:
    message = await anya.command("/start complaint")
    assert "Вы подтвердили получение заказа?" in message.text
    assert message.button_labels() == [
        "Да",
        "Нет",
        "Не помню",
        "Деньги списали, а заказ не оплачен",
    ]


BOXES = [
    ("Посылка так и не пришла", "«товар не получен»", "Products not received"),
    ("Пришло сломанным", "«описание не соответствует", "Products not as described"),
    ("Не тот цвет", "«описание не соответствует", "Products not as described"),
    ("Плохое качество", "«описание не соответствует", "Products not as described"),
    ("Подделка", "«нарушено авторское право»", "Intellectual Property Rights (IPR) Infringement"),
    ("украл мои фото", "«воровство картинок»", "Picture stealing"),
    ("Другое нарушение", "«нарушение правил торговли", "Violation of AliExpress Trade Rules"),
]


@pytest.mark.parametrize(("button", "ru_label", "form_label"), BOXES)
async def test_full_conversation_for_each_box(
    bot: Bot, anya: Person, button: str, ru_label: str, form_label: str
) -> None:
    first = await anya.command("/complaint")
    await anya.tap("Нет")
    when = await anya.tap("Нет, уже закончилась")
    assert "Когда закончилась защита покупателя?" in when.text
    late = await anya.tap("Больше 15 дней назад")
    assert "спор уже не открыть" in late.text
    answer = await anya.tap(button)
    assert answer.message_id == first.message_id  # one message, edited in place
    assert len(anya.messages) == 1
    assert ru_label in answer.text
    assert form_label in answer.text
    assert "Сейчас: жалоба сама по себе деньги не возвращает" in answer.text
    assert "buyer@aliexpress.com" in answer.text
    assert "smallbizhelp@service.alibaba.com" in answer.text
    assert answer.button_labels() == ANSWER_BUTTONS
    with sqlite3.connect(bot.settings.database_path) as conn:
        outcomes = conn.execute("SELECT route, box FROM outcomes").fetchall()
    assert outcomes == [("late", BOX_IDS[form_label])]


async def test_every_message_is_html_without_link_previews(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    await anya.command("/complaint")
    await anya.tap("Нет")
    await anya.tap("Нет, уже закончилась")
    await anya.tap("Больше 15 дней назад")
    answer = await anya.tap("Посылка так и не пришла")
    assert "buyer@aliexpress.com" in answer.text  # the answer has addresses and links
    drawn = fake.calls_of("sendMessage") + fake.calls_of("editMessageText")
    assert len(drawn) == 5
    for call in drawn:
        options = call.params.get("link_preview_options")
        if isinstance(options, str):
            options = json.loads(options)
        assert options == {"is_disabled": True}, call
        assert call.params.get("parse_mode") == "HTML", call


ANSWER_BUTTONS = [
    "Справочный центр и чат AliExpress",  # a link to the page the answer sends one to
    "Готовый текст на английском",
    "Другая проблема",
    "Источники",
    "Начать заново",
]
BOX_IDS = {
    "Products not received": "not_received",
    "Products not as described": "not_as_described",
    "Payment not received": "payment",
    "Intellectual Property Rights (IPR) Infringement": "ipr",
    "Picture stealing": "pictures",
    "Violation of AliExpress Trade Rules": "rules",
}


async def test_protection_running_gives_dispute_advice_then_complaint_on_request(
    bot: Bot, anya: Person
) -> None:
    await anya.command("/complaint")
    await anya.tap("Нет")
    advice = await anya.tap("Да, ещё действует")
    assert "Откройте спор — жалоба пока не нужна." in advice.text
    assert "Как открыть спор" in advice.text
    problem = await anya.tap("Всё равно: как подать жалобу")
    assert "Что случилось?" in problem.text
    answer = await anya.tap("Подделка")
    assert "Если вы ещё не открыли спор, начните с него." in answer.text


async def test_dont_know_explains_the_countdown(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.tap("Нет")
    again = await anya.tap("Не знаю")
    assert "на странице заказа видно, сколько дней защиты покупателя осталось" in again.text
    assert "Защита покупателя по этому заказу ещё действует?" in again.text
    assert again.button_labels() == ["Да, ещё действует", "Нет, уже закончилась", "Не знаю"]


async def test_confirmed_recently_is_dispute_first_plan_b_second(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.tap("Да")
    advice = await anya.tap("Не больше 15 дней назад")
    assert "Спор ещё можно открыть." in advice.text
    await anya.tap("план Б")
    answer = await anya.tap("Посылка так и не пришла")
    assert "Products not received" in answer.text


async def test_typed_answers_all_the_way(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    recent = await anya.say("Да, подтвердила случайно")
    assert "Когда вы подтвердили получение?" in recent.text
    problem = await anya.say("давно")
    assert "Что случилось?" in problem.text
    answer = await anya.say("прислали не тот размер")
    assert "Products not as described" in answer.text
    assert "линейкой" in answer.text  # the evidence for a wrong size
    # Each typed answer got a new message; only the newest one keeps a keyboard.
    with_keyboards = [m for m in anya.messages if m.buttons()]
    assert with_keyboards == [anya.last]


async def test_unmatched_text_gets_a_reask_with_buttons(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    reask = await anya.say("абырвалг")
    assert "не удалось разобрать ответ" in reask.text
    assert reask.button_labels() == ["Да", "Нет", "Не помню", "Деньги списали, а заказ не оплачен"]


async def test_another_problem_and_start_over(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.tap("Да")
    await anya.tap("Больше 15 дней назад")
    await anya.tap("Подделка")
    problem = await anya.tap("Другая проблема")
    assert "Что случилось?" in problem.text
    answer = await anya.tap("украл мои фото")
    assert "Picture stealing" in answer.text
    restart = await anya.tap("Начать заново")
    assert "Вы подтвердили получение заказа?" in restart.text


async def test_cancel_and_help(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    cancelled = await anya.command("/cancel")
    assert "Хорошо, разговор прерван" in cancelled.text
    assert all(not m.buttons() for m in anya.messages)  # no dead keyboard left behind
    nothing = await anya.command("/cancel")
    assert "Отменять нечего" in nothing.text
    help_message = await anya.command("/help")
    for command in ("/complaint", "/cancel", "/help"):
        assert command in help_message.text


# ---- bad input ---------------------------------------------------------------------------


async def test_sticker_photo_voice_and_unknown_command_get_a_hint(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    fake.send_sticker(anya.user)
    await fake.wait_processed()
    assert "Я понимаю только текст и кнопки" in anya.last.text
    await anya.command("/complaint")
    question = anya.last
    for send in (fake.send_photo, fake.send_voice):
        send(anya.user)
        await fake.wait_processed()
        assert "пожалуйста, ответьте на вопрос выше" in anya.last.text
    unknown = await anya.command("/foo")
    assert "Такой команды нет" in unknown.text
    # The question is still answerable, and is edited in place.
    await anya.tap("Нет", question)
    edited = next(m for m in anya.messages if m.message_id == question.message_id)
    assert "Защита покупателя" in edited.text


async def test_huge_text_gets_a_reask(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    reask = await anya.say("ж" * 4096)
    assert "не удалось разобрать ответ" in reask.text


async def test_stale_button_is_answered_and_changes_nothing(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    old = await anya.command("/complaint")
    # Removing the old keyboard fails once, so the person still sees «Да» / «Нет» there.
    fake.fail_next("editMessageReplyMarkup", 502, "Bad Gateway")
    current = await anya.say("нет")
    assert fake.bot_messages(anya.chat_id)[0].button_labels() == [
        "Да",
        "Нет",
        "Не помню",
        "Деньги списали, а заказ не оплачен",
    ]
    assert "Защита покупателя" in current.text
    await anya.tap("Да", old)
    assert "устарела" in answered_notices(fake)[-1]
    assert anya.last == current  # the conversation did not move
    assert not fake.bot_messages(anya.chat_id)[0].buttons()  # the dead keyboard is gone
    assert "Откройте спор" in (await anya.tap("Да, ещё действует")).text


async def test_button_after_cancel_is_answered(bot: Bot, fake: FakeTelegram, anya: Person) -> None:
    question = await anya.command("/complaint")
    fake.fail_next("editMessageReplyMarkup", 502, "Bad Gateway")
    cancelled = await anya.command("/cancel")
    await anya.tap("Да", question)
    assert "устарела" in answered_notices(fake)[-1]
    assert anya.last == cancelled


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "v1:1001:1:p.nonexistent",  # the right owner and step, a choice that does not exist
        "v1:1001:1:complaint",  # a real choice, but not one of this question
        "v2:1001:1:yes",
        "v1:xx:1:yes",
        "💣" * 16,
        "v1:1001:1:",
    ],
)
async def test_forged_callback_data_is_answered_and_ignored(
    bot: Bot, fake: FakeTelegram, anya: Person, data: str
) -> None:
    question = await anya.command("/complaint")
    fake.press(anya.user, question.message_id, data)
    await fake.wait_processed()
    assert answered_notices(fake)[-1]  # a short notice, never a silent spinner
    assert anya.last.text == question.text
    assert anya.last.button_labels() == [
        "Да",
        "Нет",
        "Не помню",
        "Деньги списали, а заказ не оплачен",
    ]


async def test_double_tap_advances_once(bot: Bot, fake: FakeTelegram, anya: Person) -> None:
    question = await anya.command("/complaint")
    no = next(d for d in question.callback_datas() if d.endswith(":no"))
    fake.press(anya.user, question.message_id, no)
    fake.press(anya.user, question.message_id, no)
    await fake.wait_processed()
    assert "Защита покупателя" in anya.last.text
    assert len(fake.calls_of("answerCallbackQuery")) == 2


# ---- restarts ----------------------------------------------------------------------------


async def test_restart_in_the_middle_continues_from_the_old_message(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    first = Bot(fake, db)
    await first.start()
    await anya.command("/complaint")
    await anya.tap("Нет")
    before = anya.last
    await first.stop()

    second = Bot(fake, db)
    await second.start()
    try:
        after = await anya.tap("Нет, уже закончилась", before)
        assert "Когда закончилась защита покупателя?" in after.text
        await anya.tap("Больше 15 дней назад")
        answer = await anya.tap("Подделка")
        assert "Intellectual Property Rights (IPR) Infringement" in answer.text
    finally:
        await second.stop()
    fake.assert_clean()


def start_process(fake: FakeTelegram, db: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(db),
        "LOG_LEVEL": "DEBUG",
        # Warnings shown, whatever the environment says: the bot's own filters must be what
        # keeps PTB's known warnings out of the log.
        "PYTHONWARNINGS": "always::UserWarning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def started(fake: FakeTelegram, db: Path) -> subprocess.Popen[bytes]:
    """Start `python -m bot` and wait until it polls (deleteWebhook comes just before)."""
    before = len(fake.calls_of("deleteWebhook"))
    proc = start_process(fake, db)
    await fake.wait_for(lambda: len(fake.calls_of("deleteWebhook")) > before, timeout=30)
    return proc


def kill_9(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGKILL)
    return proc.communicate(timeout=30)[0].decode()


def stored_step(db: Path, user_id: int) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT step FROM sessions WHERE user_id = ?", (user_id,)).fetchone()
    return row[0] if row else None


async def continues_after_the_restart(
    fake: FakeTelegram, proc: subprocess.Popen[bytes], anya: Person
) -> None:
    """Anya finishes the protection question on the restarted bot, which then stops cleanly."""
    try:
        after = await anya.tap("Нет, уже закончилась")
        assert "Когда закончилась защита покупателя?" in after.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    fake.assert_clean()


async def test_kill_9_between_steps_loses_nothing(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    proc = await started(fake, db)
    try:
        await anya.command("/complaint")
        await anya.tap("Да")
        before = anya.last
        assert "Когда вы подтвердили получение?" in before.text
    finally:
        output = kill_9(proc)

    proc = await started(fake, db)
    try:
        after = await anya.tap("Больше 15 дней назад", before)
        assert "Что случилось?" in after.text
        answer = await anya.tap("Посылка так и не пришла")
        assert "Products not received" in answer.text
    finally:
        proc.send_signal(signal.SIGTERM)
        output += proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0
    assert fake.token not in output  # nor in any log line, even at DEBUG
    # Screens are drawn through do_api_request (see bot.handlers._draw), for which PTB
    # warns once; the bot mutes exactly that warning, so nothing of it reaches the log.
    assert "PTBUserWarning" not in output
    fake.assert_clean()


def inbox_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM inbox").fetchone()[0])


async def test_a_crash_after_a_typed_answer_was_replied_to_does_not_repeat_the_reply(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    proc = await started(fake, db)
    try:
        await anya.command("/complaint")
        # The reply goes out; the bot is then killed while tidying up (removing the old
        # question's keyboard).
        fake.hang_next("editMessageReplyMarkup")
        fake.send_text(anya.user, "нет")
        await fake.wait_for(lambda: bool(fake.hung_calls))
        # The update was let go as soon as the reply was out, well before the hung call
        # would time out (5 s) and end the update anyway.
        await fake.wait_for(lambda: inbox_rows(db) == 0, timeout=3)
    finally:
        kill_9(proc)
    replies = len(anya.messages)
    assert "Защита покупателя" in anya.last.text
    assert not any("ошибка" in m.text for m in anya.messages)

    proc = await started(fake, db)
    try:
        await fake.wait_processed()
        assert len(anya.messages) == replies  # nothing sent twice
    except BaseException:
        kill_9(proc)
        raise
    await continues_after_the_restart(fake, proc, anya)


async def test_sigterm_in_the_middle_of_a_step_finishes_it_and_exits_cleanly(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    proc = await started(fake, db)
    try:
        await anya.command("/complaint")
        # The edit answering the press meets flood control: the bot is waiting it out
        # when the platform stops it.
        fake.fail_next("editMessageText", 429, "Too Many Requests: retry after 2", retry_after=2)
        fake.press_button(anya.user, anya.last, "Нет")
        await fake.wait_for(lambda: any(c.status == 429 for c in fake.calls), timeout=30)
        proc.send_signal(signal.SIGTERM)
        # In a thread: the fake Bot API runs on this event loop and must keep answering.
        output = (await asyncio.to_thread(proc.communicate, timeout=30))[0].decode()
    finally:
        if proc.poll() is None:
            kill_9(proc)
    assert proc.returncode == 0, output
    assert "Защита покупателя" in anya.last.text, output  # the step in flight was finished
    assert stored_step(db, anya.user["id"]) == "protection"
    assert not fake._pending  # and confirmed to Telegram: it will not come again
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # the database was closed properly

    await continues_after_the_restart(fake, await started(fake, db), anya)


async def test_kill_9_while_replying_is_finished_after_restart(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    proc = await started(fake, db)
    try:
        question = await anya.command("/complaint")
        # The step is stored, then the bot is killed while it answers the press.
        fake.hang_next("answerCallbackQuery")
        fake.press_button(anya.user, question, "Нет")
        await fake.wait_for(lambda: stored_step(db, anya.chat_id) == "protection")
        await fake.wait_for(lambda: bool(fake.hung_calls))  # the bot is inside the call
        assert "Вы подтвердили получение заказа?" in anya.last.text  # not shown yet
    finally:
        kill_9(proc)

    proc = await started(fake, db)
    try:
        # Telegram delivers the unconfirmed press again: it is shown, not applied twice.
        await fake.wait_processed()
        assert "Защита покупателя по этому заказу ещё действует?" in anya.last.text
        assert stored_step(db, anya.chat_id) == "protection"
    except BaseException:
        kill_9(proc)
        raise
    await continues_after_the_restart(fake, proc, anya)


# ---- Telegram errors ---------------------------------------------------------------------


async def test_failed_send_gets_a_kind_error_message(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    await anya.command("/complaint")
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    fake.send_text(anya.user, "нет")
    await fake.wait_processed()
    # The step was stored before the failed reply; the error handler's message got through.
    assert "произошла ошибка" in anya.last.text
    question = await anya.say("не знаю")
    assert "на странице заказа видно, сколько дней защиты покупателя осталось" in question.text


async def test_the_error_message_is_in_the_language_chosen_with_slash_language(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    await anya.tap("English", await anya.command("/language"))  # Telegram's language: ru
    await anya.command("/complaint")
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    fake.send_text(anya.user, "no")
    await fake.wait_processed()
    assert "произошла ошибка" not in anya.last.text
    assert "went wrong" in anya.last.text


async def test_logs_never_show_the_token(
    bot: Bot, fake: FakeTelegram, anya: Person, caplog: pytest.LogCaptureFixture
) -> None:
    undo = install_redaction(Secret(fake.token))
    try:
        caplog.set_level("DEBUG")
        await anya.command("/complaint")
        fake.fail_next("sendMessage", 500, "Internal Server Error")
        await anya.say("да")
    finally:
        undo()
    assert "HTTP Request: POST" in caplog.text  # httpx did log the URLs…
    assert fake.token not in caplog.text  # …without the token


async def test_rejected_token_is_a_clear_line_not_a_leak(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "999:wrong-secret-token",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(proc.communicate(), 60))[0].decode()
    assert proc.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in output.splitlines()[-1]
    assert "wrong-secret-token" not in output


async def test_old_sessions_are_pruned_at_start(fake: FakeTelegram, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(db)
    now = time.time()
    for user_id, age_days in ((1, 31), (2, 29)):
        await store.save(
            Session(
                chat_id=user_id,
                user_id=user_id,
                step=Step.CONFIRMED,
                language="ru",
                created_at=now - age_days * 86400,
                updated_at=now - age_days * 86400,
            )
        )
    await store.close()
    runner = Bot(fake, db)
    await runner.start()
    try:

        def remaining() -> list[int]:
            with sqlite3.connect(db) as conn:
                return [r[0] for r in conn.execute("SELECT user_id FROM sessions")]

        await fake.wait_for(lambda: remaining() == [2])
    finally:
        await runner.stop()


async def test_an_english_speaking_user_gets_english(bot: Bot, fake: FakeTelegram) -> None:
    john = Person(fake, 3003, language="en-US", name="John")
    question = await john.command("/complaint")
    assert "Have you confirmed receipt of the order?" in question.text
    assert question.button_labels() == [
        "Yes",
        "No",
        "I don't remember",
        "Money taken, order shows unpaid",
    ]
    await john.say("no")
    await john.say("it's over, the deal is closed")
    await john.say("long ago")
    answer = await john.say("my parcel never arrived")
    assert "Tick the box Products not received." in answer.text
    assert "Now: A complaint by itself does not return money" in answer.text
    assert "buyer@aliexpress.com" in answer.text
    anna = Person(fake, 3004, language="de")  # no German catalog: Russian, the default
    assert "Вы подтвердили получение заказа?" in (await anna.command("/complaint")).text


async def test_unmatched_text_after_the_answer_is_a_one_line_reask(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.say("нет")
    await anya.say("сделка закрыта")
    await anya.say("больше месяца назад")
    answer = await anya.say("подделка")
    assert "Intellectual Property Rights" in answer.text
    reask = await anya.say("ну и ладно")
    assert (
        reask.text
        == "Извините, не удалось разобрать ответ. Нажмите кнопку ниже или ответьте парой слов."
    )
    assert reask.button_labels() == ANSWER_BUTTONS


async def test_a_failed_answer_is_retried_and_the_screen_still_moves(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    await anya.command("/complaint")
    fake.fail_next("answerCallbackQuery", 500, "Internal Server Error")
    moved = await anya.tap("Нет")
    assert "Защита покупателя" in moved.text  # assert_clean: the press was answered


async def test_a_failed_edit_is_answered_once_and_explained(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    await anya.command("/complaint")
    fake.fail_next("editMessageText", 500, "Internal Server Error")
    await anya.tap("Нет")
    assert "произошла ошибка" in anya.last.text  # assert_clean: no second answer
    # The old keyboard still works: it redraws where the conversation is.
    await anya.tap("Нет", anya.messages[0])
    assert "Защита покупателя" in anya.messages[0].text


async def test_an_uneditable_message_is_drawn_anew_without_a_dead_keyboard(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    question = await anya.command("/complaint")
    fake.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    await anya.tap("Нет")
    assert "Защита покупателя" in anya.last.text
    assert anya.last.message_id != question.message_id
    assert not anya.messages[0].buttons()


async def test_a_photo_with_words_is_read(bot: Bot, fake: FakeTelegram, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.say("нет")
    await anya.say("закончилась")
    await anya.say("40 дней назад")
    fake.send_photo(anya.user, caption="вот, посылка так и не пришла")
    await fake.wait_processed()
    assert "Products not received" in anya.last.text


# ---- language and privacy ------------------------------------------------------------------


def rows_naming(db: Path, user_id: int) -> int:
    """Rows naming ``user_id`` in every table that has a user_id column."""
    with sqlite3.connect(db) as conn:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if any(col[1] == "user_id" for col in conn.execute(f"PRAGMA table_info({name})"))
        ]
        assert set(tables) == {"sessions", "users", "reminders"}
        query = "SELECT count(*) FROM {} WHERE user_id = ?"
        return sum(conn.execute(query.format(t), (user_id,)).fetchone()[0] for t in tables)


async def test_language_can_be_switched_and_is_kept(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    menu = await anya.command("/language")
    assert menu.button_labels() == ["English", "Русский"]
    done = await anya.tap("English", menu)
    assert done.text == "Done: I will answer in English. To start, send /complaint."
    question = await anya.command("/complaint")
    assert "Have you confirmed receipt of the order?" in question.text
    back = await anya.tap("Русский", await anya.command("/language"))
    assert back.text.startswith("Готово: теперь я отвечаю по-русски.")


async def test_forget_deletes_every_row_about_the_person(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    db = bot.settings.database_path
    await anya.command("/complaint")
    await anya.command("/language")
    await anya.tap("Русский")
    await anya.tap("Нет", anya.messages[0])
    await anya.command("/deadline")
    await anya.say("осталось 20 дней")
    await anya.tap("Напомнить")
    assert rows_naming(db, anya.chat_id) == 4  # a session, a language, two reminders
    ask = await anya.command("/forget")
    assert "Это нельзя отменить" in ask.text
    kept = await anya.tap("Нет, оставить", ask)
    assert kept.text == "Хорошо, ничего не удалено."
    assert rows_naming(db, anya.chat_id) == 4
    ask = await anya.command("/forget")
    done = await anya.tap("Да, удалить всё", ask)
    assert done.text == "Готово: все ваши данные удалены."
    assert rows_naming(db, anya.chat_id) == 0


async def test_help_says_what_is_kept_and_why(bot: Bot, anya: Person) -> None:
    text = (await anya.command("/help")).text
    assert "/forget" in text
    assert "Я храню ваши ответы, напоминания и выбранный язык только для того" in text


# ---- deadlines -------------------------------------------------------------------------------


async def test_deadline_from_days_left(bot: Bot, anya: Person) -> None:
    question = await anya.command("/deadline")
    assert "Когда заканчивается защита покупателя?" in question.text
    nonsense = await anya.say("в следующий вторник наверное")
    assert "Не получилось понять дату" in nonsense.text
    answer = await anya.say("осталось 12 дней")
    end = buyer_date(time.time()) + timedelta(days=12)
    written = format_date(end, format="long", locale="ru")  # e.g. «7 декабря 2026 г.»
    assert f"Защита покупателя заканчивается {written} (осталось 12 дней)." in answer.text
    assert "попросите продлить защиту" in answer.text
    assert "• Откройте спор до" in answer.text
    assert "Сейчас: спор можно открыть ещё в течение 15 дней после завершения" in answer.text
    assert ".." not in answer.text
    assert answer.button_labels() == ["Напомнить перед сроком", "Источники", "Начать заново"]


async def test_deadline_is_offered_on_the_dispute_screen(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.tap("Да")
    advice = await anya.tap("Не больше 15 дней назад")
    assert "Посчитать сроки" in advice.button_labels()
    question = await anya.tap("Посчитать сроки")
    assert "Когда вы подтвердили получение?" in question.text
    answer = await anya.say("3 дня назад")
    assert "Спор можно открыть до" in answer.text
    assert "(осталось 12 дней)" in answer.text


# ---- reminders -------------------------------------------------------------------------------


async def test_reminders_are_offered_listed_and_cancelled(bot: Bot, anya: Person) -> None:
    await anya.command("/deadline")
    dates = await anya.say("осталось 20 дней")
    assert "Напомнить перед сроком" in dates.button_labels()
    done = await anya.tap("Напомнить")
    end = buyer_date(time.time()) + timedelta(days=20)
    days = [format_date(end - timedelta(days=n), format="long", locale="ru") for n in (3, 1)]
    assert done.text.startswith(f"Хорошо, напомню: {days[0]}, {days[1]}")
    listing = await anya.command("/reminders")
    assert listing.text.count("•") == 2
    assert len(listing.button_labels()) == 2
    after = await anya.tap(f"Отменить: {days[0]}", listing)
    assert after.text.count("•") == 1
    assert after.button_labels() == [f"Отменить: {days[1]}"]
    empty = await anya.tap(f"Отменить: {days[1]}", after)
    assert empty.text.startswith("Напоминаний нет.")


async def test_a_due_reminder_is_sent_once_even_across_restarts(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(db)
    end = buyer_date(time.time()) + timedelta(days=3)
    # Planned earlier; its time came while the bot was not running.
    await store.add_reminders(
        anya.chat_id, anya.chat_id, [time.time() - 60], end, "protection", "ru", time.time()
    )
    await store.close()
    fake.send_text(anya.user, "привет")  # the chat must exist for the fake
    for _ in range(2):
        runner = Bot(fake, db)
        await runner.start()
        try:
            await fake.wait_for(
                lambda: any("Напоминание" in m.text for m in anya.messages), timeout=10
            )
            await asyncio.sleep(0.6)  # a few more rounds of the reminder loop
        finally:
            await runner.stop()
    reminders = [m for m in anya.messages if "⏰ Напоминание" in m.text]
    assert len(reminders) == 1
    assert "осталось 3 дня" in reminders[0].text
    fake.assert_clean()


# ---- the ready text --------------------------------------------------------------------------


async def test_ready_english_text_with_the_order_number(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.tap("Да")
    await anya.tap("Больше 15 дней назад")
    await anya.tap("Не тот цвет")
    text = await anya.tap("Готовый текст на английском")
    assert "Hello. I am writing about order [order number]." in text.text
    assert "I received the wrong colour or size" in text.text
    assert "Перевод:" in text.text
    assert any(e["type"] == "pre" for e in text.entities)  # one tap copies it
    with_number = await anya.say("Номер заказа: 8123456789012345")
    assert "order 8123456789012345." in with_number.text
    assert "заказа 8123456789012345." in with_number.text
    back = await anya.tap("Назад")
    assert "Products not as described" in back.text


async def test_dispute_text_carries_the_protection_end(bot: Bot, anya: Person) -> None:
    await anya.command("/complaint")
    await anya.tap("Нет")
    await anya.tap("Да, ещё действует")
    await anya.tap("Посчитать сроки")
    end = buyer_date(time.time()) + timedelta(days=20)
    await anya.say(f"{end:%d.%m.%Y}")
    advice = await anya.tap("Назад")  # back to the dispute advice
    assert "Откройте спор — жалоба пока не нужна." in advice.text
    text = await anya.tap("Готовый текст на английском")
    assert "I am asking for a refund." in text.text
    assert "[describe what is wrong]" in text.text  # no problem chosen on this route
    written = format_date(end, format="long", locale="en")
    assert f"Buyer protection for this order ends on {written}." in text.text


async def test_a_menu_in_the_middle_leaves_the_conversation_alone(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    question = await anya.command("/complaint")
    menu = await anya.command("/language")
    await anya.say("да")
    assert "Когда вы подтвердили получение?" in anya.last.text
    current = {m.message_id: m for m in anya.messages}
    assert current[menu.message_id].button_labels() == ["English", "Русский"]  # still usable
    assert not current[question.message_id].buttons()  # the answered question's are gone


async def test_one_undeliverable_reminder_does_not_hold_up_the_others(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(db)
    end = buyer_date(time.time()) + timedelta(days=3)
    now = time.time()
    await store.add_reminders(4242, 4242, [now - 120], end, "protection", "ru", now)  # gone
    await store.add_reminders(anya.chat_id, anya.chat_id, [now - 60], end, "protection", "ru", now)
    await store.close()
    fake.send_text(anya.user, "привет")
    runner = Bot(fake, db)
    await runner.start()
    try:
        await fake.wait_for(lambda: any("Напоминание" in m.text for m in anya.messages))
    finally:
        await runner.stop()
    # Telegram refused the one for a chat that does not exist, once; it is not retried.
    assert [c.error for c in fake.rejected] == ["Bad Request: chat not found"]


# ---- flood control and an unwell Telegram ------------------------------------------------


async def test_flood_control_is_waited_out_and_the_reply_still_arrives(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    question = await anya.command("/complaint")
    fake.fail_next("editMessageText", 429, "Too Many Requests: retry after 1", retry_after=1)
    edited = await anya.tap("Нет")
    assert "Защита покупателя по этому заказу ещё действует?" in edited.text
    assert edited.message_id == question.message_id  # edited after the wait, not resent
    assert [c.status for c in fake.calls_of("editMessageText")] == [429, 200]
    assert not any("ошибка" in m.text for m in anya.messages)  # no error, just a wait


async def test_polling_survives_failing_get_updates(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    fake.fail_next("getUpdates", 502, "Bad Gateway")
    fake.fail_next("getUpdates", 500, "Internal Server Error")
    question = await anya.command("/complaint")
    assert "Вы подтвердили получение заказа?" in question.text


# ---- /stats ------------------------------------------------------------------------------


async def test_stats_for_admins_only(fake: FakeTelegram, tmp_path: Path, anya: Person) -> None:
    runner = Bot(fake, tmp_path / "bot.sqlite3")
    runner.settings = replace(runner.settings, admin_ids=frozenset({777}))
    await runner.start()
    try:
        await anya.command("/complaint")
        await anya.tap("Нет")
        await anya.tap("Нет, уже закончилась")
        await anya.tap("Больше 15 дней назад")
        await anya.tap("Подделка")
        refused = await anya.command("/stats")
        assert "Такой команды нет" in refused.text
        admin = Person(fake, 777, name="Админ")
        stats = await admin.command("/stats")
        assert "Начато разговоров</b>" not in stats.text  # plain text, tags parsed
        assert "Начато разговоров: сегодня — 1, за неделю — 1." in stats.text
        assert "• Intellectual Property Rights (IPR) Infringement: 1" in stats.text
        assert "• late: 1" in stats.text
    finally:
        await runner.stop()
    fake.assert_clean()
