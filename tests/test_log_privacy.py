"""No one's words reach the log: not the bot's lines, not python-telegram-bot's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram
from tests.harness import Person
from tests.test_storage_faults import start_logged

CANARY_NAME = "Канарейкина"
CANARY_TEXT = "канарейка-поёт-7f3a"


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_an_unreadable_update_is_logged_as_ids_and_field_names_only(
    fake: FakeTelegram, tmp_path: Path, level: str
) -> None:
    log_path = tmp_path / "bot.log"
    proc = start_logged(fake, tmp_path / "bot.sqlite3", log_path, LOG_LEVEL=level)
    try:
        await fake.wait_for(lambda: fake.waiting_polls > 0, timeout=30)
        anya = Person(fake, name=CANARY_NAME)
        # A message without its date: python-telegram-bot cannot build it, and logs the
        # whole batch it came in, at CRITICAL.
        broken = fake._queue(
            {
                "message": {
                    "message_id": 1,
                    "from": anya.user,
                    "chat": fake.private_chat(anya.user),
                    "text": CANARY_TEXT,
                }
            }
        )["update_id"]
        fake.send_text(anya.user, f"{CANARY_TEXT} а это можно прочитать")
        await fake.wait_processed(timeout=30)
        assert "не удалось разобрать" in anya.last.text or anya.messages  # answered
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert CANARY_TEXT not in output
    assert CANARY_NAME not in output
    critical = [line for line in output.splitlines() if " CRITICAL " in line]
    assert len(critical) == 1, output
    assert "cannot read (KeyError: missing field 'date')" in critical[0]
    assert f"{broken} message{{message_id, from{{id, is_bot, first_name" in critical[0]
    assert "text" in critical[0]  # the field's name, not what it held
    assert f"update {broken} cannot be read" in output  # skipped, and said so
