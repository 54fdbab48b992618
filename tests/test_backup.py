"""Backups: a consistent online copy on a schedule, and a restore from it."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from tests.fake_telegram import FakeTelegram
from tests.harness import Person
from tests.test_storage_faults import start_logged


def step_in(db: Path, user_id: int) -> str | None:
    if not db.exists():
        return None
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT step FROM sessions WHERE user_id = ?", (user_id,)).fetchone()
    return str(row[0]) if row else None


def test_backup_settings_are_read_once_from_the_environment(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:x", "DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    assert Settings.from_env(env).backup_path is None
    settings = Settings.from_env({**env, "BACKUP_PATH": "/backups/bot.sqlite3"})
    assert settings.backup_path == Path("/backups/bot.sqlite3")
    assert settings.backup_every_h == 24.0
    assert Settings.from_env({**env, "BACKUP_EVERY_H": "6"}).backup_every_h == 6.0
    with pytest.raises(ConfigError, match="BACKUP_EVERY_H must be a positive number"):
        Settings.from_env({**env, "BACKUP_EVERY_H": "never"})
    with pytest.raises(ConfigError, match="another file than DATABASE_PATH"):
        Settings.from_env({**env, "BACKUP_PATH": env["DATABASE_PATH"]})


async def test_a_backup_taken_while_running_restores_the_conversation(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db, backup = tmp_path / "bot.sqlite3", tmp_path / "backups" / "bot.sqlite3"
    log_path = tmp_path / "bot.log"
    # Every 3.6 s, so that the test sees a second one.
    proc = start_logged(fake, db, log_path, BACKUP_PATH=str(backup), BACKUP_EVERY_H="0.001")
    try:
        await fake.wait_for(lambda: "is ready" in log_path.read_text(), timeout=30)
        await anya.command("/complaint")
        await anya.tap("Нет")
        before = anya.last
        data = dict(zip(before.button_labels(), before.callback_datas(), strict=True))
        await fake.wait_for(lambda: step_in(backup, anya.chat_id) == "protection", timeout=30)
        await anya.tap("Нет, уже закончилась")  # a step after the backup…
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert f"written to {backup}" in output
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file

    # Restore, the bot stopped: the backup in the database's place, its log removed.
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(backup, db)
    proc = start_logged(fake, db, log_path)
    try:
        await fake.wait_for(lambda: log_path.read_text().count("is ready") == 2, timeout=30)
        # …is lost with the restore; the conversation goes on from the backup's step.
        # (The message shows the later screen now; the press is on the earlier one's
        # button, as when someone taps an older message.)
        fake.press(anya.user, before.message_id, data["Нет, уже закончилась"])
        await fake.wait_processed()
        assert "Когда закончилась защита покупателя?" in anya.last.text
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)
    assert proc.returncode == 0
