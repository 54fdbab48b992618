"""Updates Telegram sends now and then that a conversation does not expect: each has an outcome."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram, utf16_len
from tests.harness import Bot, Person
from tests.test_e2e import inbox_rows
from tests.test_storage_faults import start_logged
from tests.test_webhook import WebhookBot, hook  # noqa: F401  (the fixture)

GROUP = {"id": -1001234567, "type": "supergroup", "title": "Покупатели AliExpress"}


async def test_an_edited_command_changes_nothing(
    hook: WebhookBot,  # noqa: F811
    fake: FakeTelegram,
    anya: Person,
) -> None:
    sent = fake.send_command(anya.user, "/complaint")
    await hook.deliver()
    question = anya.last
    assert "Вы подтвердили получение заказа?" in question.text
    # She corrects the command (Telegram posts edits to a webhook whatever it asked for).
    fake.send_edited_text(anya.user, sent, "/complaint")
    assert await hook.deliver() == [200]
    assert anya.messages == [question]  # no new answer, and the question stands
    fake.press_button(anya.user, question, "Нет")  # the conversation goes on where it was
    await hook.deliver()
    assert "Защита покупателя по этому заказу ещё действует?" in anya.last.text


async def test_an_anonymous_admins_command_gets_the_intro_and_a_private_chat_link(
    bot: Bot, fake: FakeTelegram
) -> None:
    command = f"/complaint@{fake.bot_username}"
    message_id = fake._next_message_id(GROUP["id"])
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": GROUP,
        "sender_chat": GROUP,  # sent on behalf of the group: no `from`
        "text": command,
        "entities": [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}],
    }
    fake._note_chat(GROUP, None)
    fake._messages[(GROUP["id"], message_id)] = message
    fake._queue({"message": message})
    await fake.wait_processed()
    (reply,) = fake.bot_messages(GROUP["id"])
    assert "Чтобы пройти всё по шагам, отправьте /complaint@" in reply.text
    (button,) = [b for row in reply.buttons() for b in row]
    assert button["text"] == "По шагам в личном чате"
    assert button["url"] == f"https://t.me/{fake.bot_username}?start=complaint"
    (call,) = fake.calls_of("sendMessage")
    reply_parameters = call.params.get("reply_parameters")
    assert isinstance(reply_parameters, dict)
    assert reply_parameters["message_id"] == message_id  # a reply to the command


async def test_a_press_without_a_sender_is_answered_and_changes_nothing(
    bot: Bot, fake: FakeTelegram, anya: Person, caplog: pytest.LogCaptureFixture
) -> None:
    question = await anya.command("/complaint")
    query_id = "4242"
    fake.unanswered_callbacks.add(query_id)
    fake._callback_times[query_id] = time.monotonic()
    fake._queue(
        {
            "callback_query": {
                "id": query_id,
                "chat_instance": "6000001001",
                "data": question.callback_datas()[0],
                "message": {
                    "message_id": question.message_id,
                    "date": int(time.time()),
                    "chat": fake.private_chat(anya.user),
                    "from": fake.bot_user,
                },
            }
        }
    )
    await fake.wait_processed()
    assert query_id in fake.callback_answers  # the spinner stopped
    assert anya.messages == [question]  # no apology, nothing moved
    assert "Вы подтвердили получение заказа?" in anya.last.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_stop_that_cannot_confirm_the_last_batch_repeats_nothing_after_the_restart(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db, log_path = tmp_path / "bot.sqlite3", tmp_path / "bot.log"
    proc = start_logged(fake, db, log_path)
    try:
        await fake.wait_for(lambda: "is ready" in log_path.read_text(), timeout=30)
        await anya.command("/complaint")
        # Her answer comes in a batch; the poll that would confirm it hangs…
        fake.hang_next("getUpdates")
        fake.send_text(anya.user, "нет")
        await fake.wait_for(lambda: bool(fake.hung_calls) and inbox_rows(db) == 0)
        assert "Защита покупателя" in anya.last.text
        # …and so does the confirmation at the stop (Telegram slow to answer it).
        fake.fail_next("getUpdates", 502, "Bad Gateway")
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert fake._pending  # Telegram would send her answer again
    replies = len(anya.messages)

    proc = start_logged(fake, db, log_path)
    try:
        await fake.wait_for(lambda: log_path.read_text().count("is ready") == 2, timeout=30)
        await fake.wait_processed()
        assert not fake._pending  # the first poll confirmed it, with the offset kept
        assert len(anya.messages) == replies  # and nothing was answered twice
        answer = await anya.tap("Нет, уже закончилась")
        assert "Когда закончилась защита покупателя?" in answer.text
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)
    assert "could not confirm" not in log_path.read_text()
