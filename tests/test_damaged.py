"""A damaged database file: found before "ready", said in one line, never a crash loop of
apologies."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

import pytest

from bot.storage import SessionStore
from tests.fake_telegram import FakeTelegram
from tests.harness import Bot, Person
from tests.test_e2e import inbox_rows
from tests.test_storage_faults import Refusal, start_logged, store_of, texts, the_one_error


async def make_database(db: Path) -> None:
    """A database with a conversation and an update left in the inbox, closed cleanly."""
    store = await SessionStore.open(db)
    try:
        await store.inbox_add([(7, '{"update_id": 7}')], time.time())
        with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
            conn.execute(
                "INSERT INTO sessions (chat_id, user_id, step, seq, language, answers,"
                " created_at, updated_at) VALUES (1, 1, 'confirmed', 1, 'ru', '{}', 0, 0)"
            )
    finally:
        await store.close()
    with contextlib.closing(sqlite3.connect(db)) as conn:  # everything into the file itself
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def scribble_over(db: Path, table: str) -> None:
    """Garbage over the root page of ``table``, as a failing disk or a stray write leaves it."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    with db.open("r+b") as out:
        out.seek((root - 1) * page_size)
        out.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))


@pytest.mark.parametrize("table", ["inbox", "sessions"])
async def test_a_damaged_file_stops_the_bot_before_ready_with_one_line(
    fake: FakeTelegram, tmp_path: Path, table: str
) -> None:
    db = tmp_path / "bot.sqlite3"
    await make_database(db)
    scribble_over(db, table)
    log_path = tmp_path / "bot.log"
    proc = start_logged(fake, db, log_path)
    try:
        code = await asyncio.to_thread(proc.wait, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log_path.read_text()
    assert "is ready" not in output, output  # found before the bot says it is ready
    error = the_one_error(log_path, code)
    assert f"the database {db} is damaged" in error
    assert "restore the file from a backup" in error
    assert f'sqlite3 {db} ".recover"' in error
    assert not fake.calls_of("getUpdates")  # nothing accepted, so nothing used up


async def test_a_file_that_is_not_a_database_is_named_with_the_way_out(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    db = tmp_path / "bot.sqlite3"
    db.write_bytes(b"not a database, just some text " * 200)
    log_path = tmp_path / "bot.log"
    proc = start_logged(fake, db, log_path)
    code = await asyncio.to_thread(proc.wait, 30)
    output = log_path.read_text()
    assert code == 1, output
    assert "Traceback" not in output, output
    assert f"the database {db} is damaged" in output
    assert ".recover" in output


async def test_damage_found_while_running_keeps_the_update_and_serves_the_others(
    bot: Bot, fake: FakeTelegram, anya: Person, caplog: pytest.LogCaptureFixture
) -> None:
    boris = Person(fake, user_id=1002, name="Борис")
    await anya.command("/complaint")
    refusal = Refusal(store_of(bot), "INSERT INTO sessions", "database disk image is malformed")
    refusal.on = True
    fake.send_text(anya.user, "нет")
    await fake.wait_processed()
    assert "произошла ошибка" in anya.last.text  # told, once
    assert inbox_rows(bot.settings.database_path) == 1  # and her words kept for after the repair
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert "is damaged" in errors[0].getMessage()
    assert ".recover" in errors[0].getMessage()
    assert errors[0].exc_info is None  # one line, no traceback
    refusal.on = False
    question = await boris.command("/complaint")  # the bot goes on for everyone else
    assert "Вы подтвердили получение заказа?" in question.text
    assert len(texts(anya)) == 2


def test_the_damage_is_named_in_one_line() -> None:
    """quick_check reports a problem a line; the operator's message stays one line."""
    from bot.storage import damaged_message

    detail = "*** in database main ***\nPage 7: btreeInitPage() returns error code 11\nPage 8"
    message = damaged_message(Path("/data/bot.sqlite3"), detail)
    assert "\n" not in message
    assert "Page 7: btreeInitPage() returns error code 11 Page 8" in message
