"""One bot process per database, and a clear word when Telegram says another one polls."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.webhook import SECRET_HEADER
from tests.fake_telegram import FakeTelegram
from tests.harness import Bot, Person
from tests.test_storage_faults import start_logged
from tests.test_webhook import PUBLIC_URL, SECRET, free_port

CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


async def test_a_second_process_waits_as_a_standby_and_takes_over(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_logged(fake, db, first_log)
    second = None
    try:
        await fake.wait_for(lambda: "is ready" in first_log.read_text(), timeout=30)
        question = await anya.command("/complaint")
        second = start_logged(fake, db, second_log)
        await fake.wait_for(lambda: "standby" in second_log.read_text(), timeout=30)
        # Only one of them polls: Telegram never has to end a poll with 409.
        await anya.tap("Нет")
        assert not any(c.status == 409 for c in fake.calls)
        assert "is ready" not in second_log.read_text()
        # A deploy: the old process is stopped, the new one takes over within seconds.
        first.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(first.wait, 30) == 0
        await fake.wait_for(lambda: "is ready" in second_log.read_text(), timeout=30)
        answer = await anya.tap("Нет, уже закончилась")
        assert "Когда закончилась защита покупателя?" in answer.text
        assert answer.message_id == question.message_id
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)
    standby = second_log.read_text()
    assert standby.count("waiting as a standby") == 1, standby  # said once, at INFO
    assert " INFO bot.instance: another bot process uses" in standby
    assert "taking over" in standby
    assert second is not None
    assert second.returncode == 0
    # (At the handover the fake may end the old process's abandoned long poll with 409:
    # nobody is there to get it.) Neither process was refused a poll it was waiting on.
    assert "Conflict" not in first_log.read_text() + standby
    fake.assert_clean()


async def test_telegram_ending_polls_for_another_process_is_one_clear_error(
    bot: Bot, fake: FakeTelegram, anya: Person, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    await anya.command("/start")
    fake.fail_next("getUpdates", 409, CONFLICT, times=3)
    await fake.wait_for(lambda: len([c for c in fake.calls if c.status == 409]) == 3)
    greeting = await anya.command("/start")  # polling goes on once the other one stops
    assert "Здравствуйте" in greeting.text
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1, errors
    assert "another process uses the same token" in errors[0]
    assert "getUpdates works again" in caplog.text


async def test_a_webhook_standby_listens_and_asks_telegram_to_come_back(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    ports = free_port(), free_port()
    env = {"WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_SECRET": SECRET}
    first = start_logged(fake, db, first_log, PORT=str(ports[0]), **env)
    second = None
    url = "http://127.0.0.1:{}" + urlsplit(PUBLIC_URL).path
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}

    async def post(port: int, body: dict[str, object]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(url.format(port), data=json.dumps(body), headers=headers) as resp,
        ):
            return resp.status

    try:
        await fake.wait_for(lambda: "listening on port" in first_log.read_text(), timeout=30)
        # The new process of a deploy (another container: another port here).
        second = start_logged(fake, db, second_log, PORT=str(ports[1]), **env)
        await fake.wait_for(lambda: "answers 503" in second_log.read_text(), timeout=30)
        fake.send_command(anya.user, "/complaint")
        update = fake._pending.pop()
        assert await post(ports[1], update) == 503  # Telegram will send it again…
        first.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(first.wait, 30) == 0
        await fake.wait_for(lambda: "listening on port" in second_log.read_text(), timeout=30)
        assert await post(ports[1], update) == 200  # …and the new process takes it
        await fake.wait_processed()
        assert "Вы подтвердили получение заказа?" in anya.last.text
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)
    assert "taking over" in second_log.read_text()
    fake.assert_clean()
