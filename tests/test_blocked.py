"""A person who blocked the bot is marked, and the bot stops writing to them."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from bot.dates import buyer_date
from bot.storage import SessionStore
from tests.fake_telegram import FakeTelegram
from tests.harness import Bot, Person


def blocked_at(db: Path, chat_id: int) -> float | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT blocked_at FROM blocked_chats WHERE chat_id = ?", (chat_id,)
        ).fetchone()
    return None if row is None else row[0]


def reminder_sends(fake: FakeTelegram, chat_id: int) -> int:
    return sum(
        1
        for call in fake.calls_of("sendMessage")
        if call.params.get("chat_id") in (chat_id, str(chat_id))
        and "Напоминание" in str(call.params.get("text", ""))
    )


async def plan_due_reminder(db: Path, person: Person) -> None:
    store = await SessionStore.open(db)
    try:
        end = buyer_date(time.time()) + timedelta(days=3)
        await store.add_reminders(
            person.chat_id, person.chat_id, [time.time() - 1], end, "protection", "ru", time.time()
        )
    finally:
        await store.close()


async def test_blocking_the_bot_marks_the_session_and_holds_reminders_back(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    db = bot.settings.database_path
    await anya.command("/complaint")
    fake.block_bot(anya.user)  # Telegram tells the bot with a my_chat_member update
    await fake.wait_processed()
    assert blocked_at(db, anya.chat_id) is not None

    await plan_due_reminder(db, anya)
    await asyncio.sleep(0.5)  # several rounds of the reminder loop (every 0.1 s here)
    assert reminder_sends(fake, anya.chat_id) == 0  # not even tried

    # Anya unblocks the bot and writes: the mark goes, the waiting reminder arrives.
    await anya.command("/start")
    assert blocked_at(db, anya.chat_id) is None
    await fake.wait_for(lambda: any("Напоминание" in m.text for m in anya.messages))


async def test_a_403_on_a_reminder_marks_the_chat_and_it_is_not_tried_again(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    db = bot.settings.database_path
    await anya.command("/complaint")
    fake.block_bot(anya.user, notify=False)  # blocked without the bot hearing of it
    await plan_due_reminder(db, anya)
    await fake.wait_for(lambda: blocked_at(db, anya.chat_id) is not None)
    await asyncio.sleep(0.5)  # more rounds of the reminder loop
    refused = [c for c in fake.calls_of("sendMessage") if c.status == 403]
    assert len(refused) == 1  # tried once, then the bot stopped writing there
    fake.assert_clean()


async def test_a_403_while_replying_marks_the_chat_without_an_error_message(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    await anya.command("/complaint")
    fake.press_button(anya.user, anya.last, "Нет")
    fake.block_bot(anya.user, notify=False)  # right after pressing
    await fake.wait_processed()
    assert bot.settings.database_path.exists()
    assert blocked_at(bot.settings.database_path, anya.chat_id) is not None
    refused = [c for c in fake.calls if c.status == 403]
    assert [c.method for c in refused] == ["editMessageText"]  # no apology sent after it


async def test_a_403_for_someone_without_a_conversation_is_remembered_too(
    bot: Bot, fake: FakeTelegram
) -> None:
    # Their conversation was pruned long ago (or never stored); a reminder is still due.
    gone = Person(fake, user_id=4343)
    fake.send_text(gone.user, "привет")  # the chat exists for the fake…
    fake._pending.clear()  # …but the bot never saw the message
    fake.block_bot(gone.user, notify=False)
    db = bot.settings.database_path
    await plan_due_reminder(db, gone)
    await fake.wait_for(lambda: blocked_at(db, gone.chat_id) is not None)
    await asyncio.sleep(0.5)  # more rounds of the reminder loop
    refused = [c for c in fake.calls_of("sendMessage") if c.status == 403]
    assert len(refused) == 1
