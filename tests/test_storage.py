"""The SQLite store: write-through, survival of an abrupt stop, migrations, pruning."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from bot.flow import Route, Session, Step
from bot.storage import MIGRATIONS, SCHEMA_VERSION, Outcome, SessionStore, StorageError

ROOT = Path(__file__).resolve().parent.parent


def make_session(chat_id: int = 1, user_id: int = 1, **changes: object) -> Session:
    base = Session(
        chat_id=chat_id,
        user_id=user_id,
        step=Step.PROBLEM,
        language="ru",
        created_at=100.0,
        updated_at=200.0,
        seq=3,
        answers={"confirmed": "yes", "recent": "no"},
        route=Route.LATE,
        message_id=42,
        last_update_id=7,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_migrates_an_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert await store.count_sessions() == 0
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "outcomes"} <= tables


async def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    for _ in range(2):
        store = await SessionStore.open(path)
        await store.save(make_session())
        await store.close()
    store = await SessionStore.open(path)
    assert await store.count_sessions() == 1
    await store.close()


def test_two_processes_creating_the_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    opener = (
        "import asyncio, sys; from bot.storage import SessionStore\n"
        "async def main():\n    s = await SessionStore.open(sys.argv[1]); await s.close()\n"
        "asyncio.run(main())"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", opener, str(path)], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_prunes_in_batches(tmp_path: Path) -> None:
    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    for user_id in range(25):
        await store.save(make_session(user_id=user_id, updated_at=float(user_id)))
    assert await store.prune(older_than=20.0, batch=7) == 20
    assert await store.count_sessions() == 5
    assert await store.get(1, 3) is None  # not served from memory after pruning
    await store.close()


async def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StorageError, match="newer"):
        await SessionStore.open(path)


async def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match=r"is damaged.*recover"):
        await SessionStore.open(path)


async def test_round_trip_and_write_through(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    session = make_session()
    await store.save(session)
    # Another connection sees it at once: the write is committed, not buffered.
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT step, seq FROM sessions").fetchall() == [("problem", 3)]
    assert await store.get(1, 1) == session
    assert await store.get(1, 2) is None
    await store.close()


async def test_an_outcome_is_recorded_once_and_kept_after_pruning(tmp_path: Path) -> None:
    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    answered = make_session(
        user_id=1,
        step=Step.ANSWER,
        box="ipr",
        problem="fake",
        updated_at=1_000.0,
        outcome_at=1_000.0,
    )
    await store.save(answered)
    # Later writes of the same conversation (another step) record nothing new.
    await store.save(replace(answered, step=Step.PROBLEM, seq=4, updated_at=1_500.0))
    fresh = make_session(user_id=2, updated_at=9_000.0)
    await store.save(fresh)
    assert await store.prune(older_than=5_000.0) == 1
    assert await store.get(1, 1) is None
    assert await store.get(1, 2) == fresh
    assert await store.outcomes() == [Outcome(Route.LATE, "ipr", "fake", "ru", 1_000.0)]
    await store.close()


async def test_migrates_a_version_1_database_keeping_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO sessions VALUES (5, 5, 'confirmed', 1, 'ru', '{}', NULL, NULL, NULL,"
            " 10, 3, 0.0, 0.0)"
        )
    store = await SessionStore.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        old = await store.get(5, 5)
        assert old is not None
        assert (old.step, old.message_id, old.outcome_at) == (Step.CONFIRMED, 10, None)
    finally:
        await store.close()


async def test_message_id_is_not_written_over_a_newer_step(tmp_path: Path) -> None:
    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    await store.save(make_session(seq=5, message_id=1))
    await store.set_message_id(1, 1, seq=4, message_id=99)  # an older screen: ignored
    stored = await store.get(1, 1)
    assert stored is not None
    assert stored.message_id == 1
    await store.set_message_id(1, 1, seq=5, message_id=99)
    stored = await store.get(1, 1)
    assert stored is not None
    assert stored.message_id == 99
    await store.close()


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from bot.flow import Session, Step
    from bot.storage import SessionStore

    async def main():
        store = await SessionStore.open(sys.argv[1])
        for i in range(1, 201):
            await store.save(Session(chat_id=i, user_id=i, step=Step.CONFIRMED,
                                     language="ru", created_at=0.0, updated_at=0.0, seq=i))
            print(i, flush=True)
        await asyncio.sleep(60)  # killed here, with the connection still open

    asyncio.run(main())
    """
)


def write_then_kill(path: Path) -> int:
    """Run WRITER in a process, SIGKILL it once it reports 200 commits; return the count."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    acknowledged = 0
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged == 200:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return acknowledged


async def test_every_committed_step_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    acknowledged = write_then_kill(path)
    store = await SessionStore.open(path)
    try:
        assert await store.count_sessions() == acknowledged == 200
        last = await store.get(200, 200)
        assert last is not None
        assert last.seq == 200
    finally:
        await store.close()


async def test_committed_steps_reach_the_database_file_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        for user_id in range(50):
            await store.save(make_session(user_id=user_id))
        await asyncio.sleep(SessionStore.CHECKPOINT_EVERY_S * 2.5)
        # A copy of the main file alone, without the write-ahead log, has every session.
        copy = tmp_path / "copy.sqlite3"
        copy.write_bytes(path.read_bytes())
        with sqlite3.connect(copy) as conn:
            assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 50
    finally:
        await store.close()


def wal_generation(path: Path) -> int:
    """The write-ahead log's checkpoint sequence number: one more each time it restarts."""
    with open(f"{path}-wal", "rb") as wal:
        return int.from_bytes(wal.read(16)[12:16], "big")


async def test_the_write_ahead_log_stops_growing_under_a_steady_stream_of_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SessionStore, "CHECKPOINT_EVERY_S", 0.01)
    monkeypatch.setattr(SessionStore, "WAL_RESTART_PAGES", 50)
    rounds = 0
    checkpoint_once = SessionStore._checkpoint_once

    def counted(store: SessionStore) -> None:
        nonlocal rounds
        checkpoint_once(store)
        rounds += 1

    monkeypatch.setattr(SessionStore, "_checkpoint_once", counted)
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        await store.save(make_session(user_id=0))
        first = wal_generation(path)
        loop = asyncio.get_running_loop()
        step, give_up = 0, loop.time() + 30
        while rounds < 20 and loop.time() < give_up:  # a commit a step, as fast as they come
            step += 1
            await store.save(make_session(user_id=step % 500, seq=step))
            await asyncio.sleep(0)
        # Between two rounds come a hundred commits or more, of a page or two each. A
        # passive checkpoint copies them, but never the ones written while it runs, so
        # the log would only ever grow: ~40 MB in a few seconds of this.
        assert rounds >= 20
        assert wal_generation(path) - first >= 5, "the log was started again, round after round"
        assert await store.count_sessions() == min(step + 1, 500)
    finally:
        await store.close()


async def test_a_step_after_a_pause_does_not_restart_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting a fully copied log again syncs its header to disk (a millisecond, or far
    more on a busy disk): the checkpoint does it, not a step on the event loop."""
    monkeypatch.setattr(SessionStore, "CHECKPOINT_EVERY_S", 0.02)
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        for user_id in range(50):
            await store.save(make_session(user_id=user_id))
        before = wal_generation(path)
        await asyncio.sleep(0.3)  # a pause: the checkpoint copies everything
        paused = wal_generation(path)
        assert paused > before, "the checkpoint started the log again"
        await store.save(make_session(user_id=1, seq=9))
        assert wal_generation(path) == paused, "the step only added to the log"
    finally:
        await store.close()


async def test_the_checkpoint_keeps_a_newer_schema_version(tmp_path: Path) -> None:
    """Starting the log again writes ``user_version`` back: as it is in the file, not as
    this bot knows it (a newer bot may have migrated the file meanwhile)."""
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        with sqlite3.connect(path, isolation_level=None) as newer:
            newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        await store.save(make_session(user_id=1))
        await asyncio.to_thread(store._checkpoint_once)
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)
    finally:
        await store.close()


async def test_a_failing_checkpoint_round_is_logged_and_the_next_one_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(SessionStore, "CHECKPOINT_EVERY_S", 0.01)
    rounds = 0
    checkpoint_once = SessionStore._checkpoint_once

    def flaky(store: SessionStore) -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise AssertionError("a bug in the first round")
        checkpoint_once(store)

    monkeypatch.setattr(SessionStore, "_checkpoint_once", flaky)
    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    try:
        for _ in range(100):
            await asyncio.sleep(0.01)
            if rounds >= 3:
                break
        assert rounds >= 3
        assert "background checkpoint failed" in caplog.text
    finally:
        await store.close()


async def test_steps_go_through_aiosqlite_while_the_checkpoint_restarts_the_log(
    tmp_path: Path,
) -> None:
    """Between copying the log and making the first write of the new one, the checkpoint's
    thread may wait for the interpreter; a step written directly then would start the log
    itself, syncing to disk on the event loop."""

    class Unused:
        def execute(self, *args: object) -> None:
            raise AssertionError("written directly while the checkpoint restarts the log")

        def close(self) -> None:
            return None

    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    direct = store._direct
    try:
        store._direct, store._log_busy = Unused(), True  # type: ignore[assignment]
        await store.save(make_session(user_id=4))
        store._direct, store._log_busy = direct, False
        store._cache.clear()
        assert await store.get(1, 4) == make_session(user_id=4)
    finally:
        store._direct = direct
        await store.close()


async def test_reminders_for_two_deadlines_on_the_same_day_are_both_kept(tmp_path: Path) -> None:
    from datetime import date

    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    try:
        at = [2_000_000_000.0]
        await store.add_reminders(1, 1, at, date(2033, 5, 20), "protection", "ru", 0.0)
        await store.add_reminders(1, 1, at, date(2033, 5, 22), "protection", "ru", 0.0)
        await store.add_reminders(1, 1, at, date(2033, 5, 22), "protection", "ru", 0.0)  # again
        assert len(await store.pending_reminders(1)) == 2
    finally:
        await store.close()


async def test_language_follows_to_pending_reminders_and_sent_ones_are_pruned(
    tmp_path: Path,
) -> None:
    from datetime import date

    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    try:
        await store.add_reminders(1, 1, [100.0, 200.0], date(2033, 5, 20), "protection", "ru", 0)
        first = (await store.pending_reminders(1))[0]
        await store.mark_sent(first.id, 150.0)
        await store.set_language(1, "en", 160.0)
        assert [r.language for r in await store.pending_reminders(1)] == ["en"]
        await store.prune(older_than=1_000.0)
        assert await store.rows_about(1) == 2  # the users row and the pending reminder
    finally:
        await store.close()


async def test_a_session_written_elsewhere_is_read_directly_and_fresh(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        await store.save(make_session(chat_id=5, user_id=5))
        # Another process (the console on the same file) moves the conversation on.
        with sqlite3.connect(path) as other:
            other.execute("UPDATE sessions SET step = 'answer' WHERE chat_id = 5")
        store._cache.clear()
        session = await store.get(5, 5)
        assert session is not None
        assert session.step is Step.ANSWER
    finally:
        await store.close()


async def test_a_locked_direct_read_falls_back_to_aiosqlite(tmp_path: Path) -> None:
    class Locked:
        def execute(self, *args: object) -> None:
            raise sqlite3.OperationalError("database is locked")

        def close(self) -> None:
            return None

    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        await store.save(make_session(chat_id=6, user_id=6))
        store._cache.clear()
        direct = store._direct
        store._direct = Locked()  # type: ignore[assignment]
        session = await store.get(6, 6)
        assert session is not None
        assert session == make_session(chat_id=6, user_id=6)
        store._direct = direct
    finally:
        await store.close()


async def test_a_step_saved_while_another_connection_holds_the_lock_waits_off_the_event_loop(
    tmp_path: Path,
) -> None:
    """A step is written directly on the event loop's thread, which must never wait for a
    lock there: while a /forget or a prune holds it, the write goes through aiosqlite."""
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the write lock, as /forget's transaction takes it
        save = asyncio.create_task(store.save(make_session(chat_id=7, user_id=7)))
        loop = asyncio.get_running_loop()
        gaps, last = [], loop.time()
        for _ in range(20):
            await asyncio.sleep(0.01)
            gaps.append(loop.time() - last)
            last = loop.time()
        assert not save.done(), "the write waits for the lock…"
        assert max(gaps) < 0.5, f"…but the event loop does not: it stalled {max(gaps):.2f} s"
        other.execute("COMMIT")
        await asyncio.wait_for(save, 5)
    finally:
        other.close()
    try:
        store._cache.clear()
        assert await store.get(7, 7) == make_session(chat_id=7, user_id=7)
        with sqlite3.connect(path) as check:
            assert check.execute("SELECT seq FROM sessions WHERE chat_id = 7").fetchall() == [(3,)]
    finally:
        await store.close()


async def test_a_long_read_elsewhere_holds_steps_up_for_moments_not_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restarting the log waits for readers while it keeps writers out: an operator's open
    ``sqlite3`` session must not stop the bot's steps for seconds at a time."""
    monkeypatch.setattr(SessionStore, "CHECKPOINT_EVERY_S", 0.05)
    monkeypatch.setattr(SessionStore, "WAL_RESTART_PAGES", 20)
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        for user_id in range(100):  # a log long enough to restart
            await store.save(make_session(user_id=user_id))
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sessions").fetchall()  # holds its snapshot
        loop = asyncio.get_running_loop()
        slowest, end = 0.0, loop.time() + 1.5
        step = 0
        while loop.time() < end:
            step += 1
            started = loop.time()
            await store.save(make_session(user_id=step % 100, seq=step))
            slowest = max(slowest, loop.time() - started)
            await asyncio.sleep(0.002)
        assert slowest < 1.0, f"a step waited {slowest:.2f} s for the log's restart"
    finally:
        reader.close()
        await store.close()


async def test_reaching_the_answer_records_one_outcome_however_often_it_is_saved(
    tmp_path: Path,
) -> None:
    store = await SessionStore.open(tmp_path / "bot.sqlite3")
    try:
        asking = make_session(user_id=3, updated_at=900.0)
        await store.save(asking)  # the conversation exists: the answer is an update
        answered = replace(asking, step=Step.ANSWER, box="ipr", problem="fake", updated_at=1_000.0)
        answered = replace(answered, outcome_at=1_000.0)
        await store.save(answered)
        await store.save(answered)  # the same step again (a replayed update)
        await store.set_message_id(1, 3, answered.seq, 99)  # the answer's message noted
        assert await store.outcomes() == [Outcome(Route.LATE, "ipr", "fake", "ru", 1_000.0)]
        # A new conversation later reaching an answer again is a second outcome.
        again = replace(answered, updated_at=2_000.0, outcome_at=2_000.0, problem="damaged")
        await store.save(again)
        assert [o.problem for o in await store.outcomes()] == ["fake", "damaged"]
    finally:
        await store.close()


async def test_writing_again_lifts_the_blocked_mark(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await SessionStore.open(path)
    try:
        session = make_session(chat_id=8, user_id=8)
        await store.save(session)
        await store.set_blocked(8, True, 1.0)
        assert await store.is_blocked(8)
        await store.save(replace(session, seq=4))
        assert not await store.is_blocked(8)
    finally:
        await store.close()
