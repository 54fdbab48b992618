"""The database refusing writes under the running bot: nothing accepted is lost or answered twice.

Faults are injected at the handler's own writes (the session, the shown message's id), by a
wrapper around the store's statement runner that raises what SQLite raises; one test holds a
real lock from another connection, and one fills a real 2 MB filesystem under ``python -m
bot`` where the machine allows mounting one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.app import INBOX
from bot.inbox import Inbox
from bot.storage import SessionStore
from tests.fake_telegram import FakeTelegram
from tests.harness import Bot, Person
from tests.test_e2e import ROOT, inbox_rows, stored_step

NOTE = "Секунду, пожалуйста…"
APOLOGY = "произошла ошибка"

ERRORS = [
    "database or disk is full",
    "database is locked",
    "disk I/O error",
]


def store_of(bot: Bot) -> SessionStore:
    assert bot.app is not None
    inbox = bot.app.bot_data[INBOX]
    assert isinstance(inbox, Inbox)
    return inbox.store


class Refusal:
    """The bot's writes whose SQL starts with ``prefix`` fail with ``error`` while on."""

    def __init__(self, store: SessionStore, prefix: str, error: str) -> None:
        self.prefix, self.error = prefix, error
        self.on = False
        self.refused = 0
        self._write, self._many = store._write, store._many

        def check(sql: str) -> None:
            if self.on and sql.lstrip().startswith(self.prefix):
                self.refused += 1
                raise sqlite3.OperationalError(self.error)

        async def write(sql: str, params: Sequence[Any]) -> None:
            check(sql)
            await self._write(sql, params)

        async def many(sql: str, rows: Iterable[Sequence[Any]]) -> None:
            check(sql)
            await self._many(sql, rows)

        store._write = write  # type: ignore[method-assign]
        store._many = many  # type: ignore[method-assign]


def texts(person: Person) -> list[str]:
    return [m.text for m in person.messages]


@pytest.mark.parametrize("error", ERRORS)
async def test_a_refused_step_waits_with_one_note_and_is_applied_once(
    bot: Bot, fake: FakeTelegram, anya: Person, error: str
) -> None:
    question = await anya.command("/complaint")
    refusal = Refusal(store_of(bot), "INSERT INTO sessions", error)
    refusal.on = True
    fake.send_text(anya.user, "нет")
    # The database refuses the step: Anya is told to wait a second, nothing else.
    await fake.wait_for(lambda: refusal.refused >= 2 and anya.last.text == NOTE)
    assert stored_step(bot.settings.database_path, anya.user["id"]) == "confirmed"
    assert inbox_rows(bot.settings.database_path) == 1  # the update is kept meanwhile
    refusal.on = False
    await fake.wait_processed()
    protection = anya.last
    assert "Защита покупателя по этому заказу ещё действует?" in protection.text
    assert texts(anya) == [question.text, NOTE, protection.text]  # one answer, no apology
    assert stored_step(bot.settings.database_path, anya.user["id"]) == "protection"
    assert inbox_rows(bot.settings.database_path) == 0
    # …and the conversation goes on from there.
    answer = await anya.tap("Нет, уже закончилась")
    assert "Когда закончилась защита покупателя?" in answer.text


@pytest.mark.parametrize("error", ERRORS)
async def test_a_refused_press_is_answered_at_once_and_applied_later(
    bot: Bot, fake: FakeTelegram, anya: Person, error: str
) -> None:
    question = await anya.command("/complaint")
    refusal = Refusal(store_of(bot), "INSERT INTO sessions", error)
    refusal.on = True
    query_id = fake.press_button(anya.user, question, "Нет")
    # The spinner stops while the step still waits for the database.
    await fake.wait_for(lambda: query_id in fake.callback_answers)
    assert fake.callback_answers[query_id].get("text") == NOTE
    assert "Вы подтвердили получение заказа?" in anya.last.text
    refusal.on = False
    await fake.wait_processed()
    assert "Защита покупателя по этому заказу ещё действует?" in anya.last.text
    assert anya.last.message_id == question.message_id  # edited in place, nothing new
    assert len(anya.messages) == 1
    assert stored_step(bot.settings.database_path, anya.user["id"]) == "protection"
    assert len(fake.calls_of("answerCallbackQuery")) == 1  # answered once (fake: else 400)


async def test_updates_the_inbox_cannot_take_wait_with_one_note_and_are_answered_once(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    boris = Person(fake, user_id=1002, name="Борис")
    question = await anya.command("/complaint")
    refusal = Refusal(store_of(bot), "INSERT OR IGNORE INTO inbox", "database or disk is full")
    refusal.on = True
    query_id = fake.press_button(anya.user, question, "Нет")
    fake.send_command(boris.user, "/complaint")
    # Not even the inbox takes them: the press is answered, Борис is told to wait.
    await fake.wait_for(lambda: query_id in fake.callback_answers and boris.messages)
    assert fake.callback_answers[query_id].get("text") == NOTE
    assert texts(boris) == [NOTE]
    refusal.on = False
    await fake.wait_processed()
    assert "Защита покупателя по этому заказу ещё действует?" in anya.last.text
    assert len(anya.messages) == 1
    assert len(texts(boris)) == 2
    assert texts(boris)[0] == NOTE
    assert "Вы подтвердили получение заказа?" in texts(boris)[1]
    assert len(fake.calls_of("answerCallbackQuery")) == 1


@pytest.mark.parametrize("error", ERRORS)
async def test_storing_the_shown_message_is_retried_without_a_second_answer(
    bot: Bot, fake: FakeTelegram, anya: Person, error: str
) -> None:
    refusal = Refusal(store_of(bot), "UPDATE sessions SET message_id", error)
    refusal.on = True
    fake.send_command(anya.user, "/complaint")
    await fake.wait_for(lambda: refusal.refused >= 2)
    question = anya.last
    assert "Вы подтвердили получение заказа?" in question.text  # the reply is out
    refusal.on = False
    await fake.wait_processed()
    assert texts(anya) == [question.text]  # no apology, no note after the answer
    with sqlite3.connect(bot.settings.database_path) as conn:
        (message_id,) = conn.execute(
            "SELECT message_id FROM sessions WHERE user_id = ?", (anya.user["id"],)
        ).fetchone()
    assert message_id == question.message_id


async def test_a_press_under_a_real_lock_is_answered_before_the_lock_goes(
    bot: Bot, fake: FakeTelegram, anya: Person
) -> None:
    question = await anya.command("/complaint")
    other = sqlite3.connect(bot.settings.database_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another process holding the database
        query_id = fake.press_button(anya.user, question, "Нет")
        await fake.wait_for(lambda: query_id in fake.callback_answers)
        assert fake.callback_answers[query_id].get("text") == NOTE
    finally:
        other.execute("COMMIT")
        other.close()
    await fake.wait_processed()
    assert "Защита покупателя по этому заказу ещё действует?" in anya.last.text
    assert stored_step(bot.settings.database_path, anya.user["id"]) == "protection"
    assert not any(APOLOGY in text for text in texts(anya))


async def test_a_step_waiting_at_the_stop_stays_in_the_inbox_for_the_next_start(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    first = Bot(fake, db)
    await first.start()
    question = await anya.command("/complaint")
    refusal = Refusal(store_of(first), "INSERT INTO sessions", "database or disk is full")
    refusal.on = True
    fake.send_text(anya.user, "нет")
    await fake.wait_for(lambda: anya.last.text == NOTE)
    await first.stop()  # returns although the database still refuses
    assert inbox_rows(db) == 1
    assert stored_step(db, anya.user["id"]) == "confirmed"

    second = Bot(fake, db)
    await second.start()
    try:
        await fake.wait_processed()
        protection = anya.last
        assert "Защита покупателя по этому заказу ещё действует?" in protection.text
        assert texts(anya) == [question.text, NOTE, protection.text]
        assert stored_step(db, anya.user["id"]) == "protection"
    finally:
        await second.stop()
    assert inbox_rows(db) == 0
    fake.assert_clean()


# ---- a real full disk under `python -m bot` ----------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, where this machine lets the tests mount one (root on Linux)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the filesystem of ``folder`` to the last byte; the filler's path."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def start_logged(
    fake: FakeTelegram, db: Path, log_path: Path, **extra: str
) -> subprocess.Popen[bytes]:
    """``python -m bot`` at LOG_LEVEL=INFO, its output going to ``log_path``."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(db),
        "LOG_LEVEL": "INFO",
        **extra,
    }
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def test_a_full_disk_under_the_real_bot_loses_no_step(
    fake: FakeTelegram, small_disk: Path, tmp_path: Path
) -> None:
    db = small_disk / "bot.sqlite3"
    people = [Person(fake, user_id=2000 + i, name=f"P{i}") for i in range(12)]
    log_path = tmp_path / "bot.log"  # not on the small disk
    proc = start_logged(fake, db, log_path)

    def logged() -> str:
        return log_path.read_text(errors="replace")

    try:
        await fake.wait_for(lambda: fake.waiting_polls > 0, timeout=30)
        await people[0].command("/start")  # the file and its log exist
        filler = fill(small_disk)
        for person in people:
            fake.send_command(person.user, "/complaint")
        # The database cannot grow: the bot says so once and waits.
        await fake.wait_for(lambda: "refuses statements" in logged(), timeout=30)
        filler.unlink()  # room again: everyone gets the question, once
        await fake.wait_processed(timeout=60)
        for person in people:
            questions = [t for t in texts(person) if "Вы подтвердили получение заказа?" in t]
            assert len(questions) == 1, texts(person)
            assert not any(APOLOGY in t for t in texts(person)), texts(person)
            assert texts(person).count(NOTE) <= 1
        with sqlite3.connect(db) as conn:
            steps = dict(conn.execute("SELECT user_id, step FROM sessions").fetchall())
        assert all(steps.get(p.user["id"]) == "confirmed" for p in people)
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)
    output = logged()
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
    assert "accepts statements again" in output, output
    fake.assert_clean()


async def test_a_long_outage_is_logged_at_its_start_now_and_then_and_at_its_end(
    bot: Bot, fake: FakeTelegram, anya: Person, caplog: pytest.LogCaptureFixture
) -> None:
    await anya.command("/complaint")
    store = store_of(bot)
    store.OUTAGE_REPEAT_S = 0.0  # every retry counts as "a while" here
    refusal = Refusal(store, "INSERT INTO sessions", "database or disk is full")
    refusal.on = True
    fake.send_text(anya.user, "нет")
    await fake.wait_for(lambda: "still refuses statements" in caplog.text)
    refusal.on = False
    await fake.wait_processed()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.storage"]
    starts = [m for m in lines if "refuses statements (" in m and "still" not in m]
    assert len(starts) == 1  # the start once; "still refuses" in between
    assert "accepts statements again" in lines[-1]


def the_one_error(log_path: Path, code: int) -> str:
    """The log of a bot that had to stop: code 1, no traceback, and exactly one ERROR."""
    output = log_path.read_text()
    assert code == 1, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1, output
    return errors[0]


async def restarted(fake: FakeTelegram, first: Bot, db: Path) -> None:
    """Stop ``first``, then run a new bot on ``db`` until it has handled what was kept."""
    await first.stop()
    second = Bot(fake, db)
    await second.start()
    try:
        await fake.wait_processed()
    finally:
        await second.stop()


def reminder_rows(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM reminders").fetchone()[0])


async def test_reminders_refused_at_a_stop_are_added_after_the_restart(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    """The press is kept in the inbox; its step must not be stored before its reminders, or
    the restart takes the press for applied and the reminders are never added."""
    db = tmp_path / "bot.sqlite3"
    first = Bot(fake, db)
    await first.start()
    await anya.command("/deadline")
    dates = await anya.say("осталось 20 дней")
    refusal = Refusal(store_of(first), "INSERT INTO reminders", "database or disk is full")
    refusal.on = True
    fake.press_button(anya.user, dates, "Напомнить")
    await fake.wait_for(lambda: refusal.refused > 0)
    await restarted(fake, first, db)
    assert reminder_rows(db) == 2  # 3 days and 1 day before
    # The kept press was answered before the stop; answering it again is refused as too
    # old, and that is all Telegram refused.
    assert {c.method for c in fake.rejected} <= {"answerCallbackQuery"}


async def test_a_reply_out_before_its_message_id_is_stored_is_not_sent_again(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    """The database refuses to store which message shows the keyboard, and the bot is
    stopped meanwhile: the reply is out, so the update is done, not handled again."""
    db = tmp_path / "bot.sqlite3"
    first = Bot(fake, db)
    await first.start()
    await anya.command("/complaint")
    refusal = Refusal(store_of(first), "UPDATE sessions SET message_id", "database or disk is full")
    refusal.on = True
    fake.send_command(anya.user, "/complaint")
    await fake.wait_for(lambda: refusal.refused > 0)
    await restarted(fake, first, db)
    questions = [t for t in texts(anya) if "Вы подтвердили получение заказа?" in t]
    assert len(questions) == 2  # one for each /complaint
