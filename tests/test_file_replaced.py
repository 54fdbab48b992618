"""The database file deleted or replaced under the running bot: it stops instead of writing
into a file no one will see again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram
from tests.harness import Person
from tests.test_storage_faults import start_logged, the_one_error


@pytest.mark.parametrize("how", ["deleted", "replaced by another file"])
async def test_the_bot_stops_with_one_error_when_its_file_goes(
    fake: FakeTelegram, tmp_path: Path, anya: Person, how: str
) -> None:
    db = tmp_path / "bot.sqlite3"
    log_path = tmp_path / "bot.log"
    proc = start_logged(fake, db, log_path)
    try:
        await fake.wait_for(lambda: "is ready" in log_path.read_text(), timeout=30)
        await anya.command("/complaint")
        if how == "deleted":
            db.unlink()  # rm data/bot.sqlite3
        else:  # mv other.sqlite3 data/bot.sqlite3
            other = tmp_path / "other.sqlite3"
            with contextlib.closing(sqlite3.connect(other)) as conn:
                conn.execute("CREATE TABLE t (x)")
            os.replace(other, db)
        code = await asyncio.to_thread(proc.wait, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    error = the_one_error(log_path, code)
    assert f"the database file {db} was {how} while the bot ran; stopping" in error
    # The old file's log is gone with it: SQLite would apply it to the file now there.
    assert not db.with_name(db.name + "-wal").exists()
    assert not db.with_name(db.name + "-shm").exists()
    if how == "replaced by another file":
        with contextlib.closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
            assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
    fake.assert_clean()
