"""All SQL of the bot: conversations and their outcomes in one SQLite file, via aiosqlite.

Every method commits before it returns, so a session is on disk before the bot answers.
WAL mode with ``synchronous=NORMAL``: a commit survives the process being killed (only a
power cut may lose the last commits), and readers never wait for the writer.
The schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` bring any older file
up to date when the store opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

from bot.flow import Route, Session, Step
from bot.lru import Lru
from bot.records import Reminder, Stats
from bot.tracing import storage_waits

log = logging.getLogger(__name__)

#: Migration N (1-based) takes a database from ``user_version`` N-1 to N. Each is a list of
#: statements, run in one ``BEGIN IMMEDIATE`` transaction with the version check, so two
#: processes opening a new file at once cannot both migrate it.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE sessions (
            chat_id        INTEGER NOT NULL,
            user_id        INTEGER NOT NULL,
            step           TEXT    NOT NULL,
            seq            INTEGER NOT NULL,
            language       TEXT    NOT NULL,
            answers        TEXT    NOT NULL,  -- JSON object: question → choice
            route          TEXT,
            problem        TEXT,
            box            TEXT,
            message_id     INTEGER,            -- the message showing the current keyboard
            last_update_id INTEGER,            -- to recognise an update redelivered after a crash
            created_at     REAL    NOT NULL,   -- Unix seconds
            updated_at     REAL    NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX sessions_updated_at ON sessions (updated_at)",
        # One row per answer shown, kept after the session is pruned, with nothing personal.
        """
        CREATE TABLE outcomes (
            id         INTEGER PRIMARY KEY,
            route      TEXT NOT NULL,
            box        TEXT NOT NULL,
            problem    TEXT NOT NULL,
            language   TEXT NOT NULL,
            created_at REAL NOT NULL
        )
        """,
        "CREATE INDEX outcomes_created_at ON outcomes (created_at)",
    ),
    # 2: the outcome is recorded by the database itself, in the same statement that stores
    # the session: atomic, and one round trip instead of a four-statement transaction.
    (
        "ALTER TABLE sessions ADD COLUMN outcome_at REAL",  # when the answer was reached
        """
        CREATE TRIGGER sessions_outcome AFTER INSERT ON sessions
        WHEN NEW.outcome_at IS NOT NULL AND NEW.outcome_at = NEW.updated_at
        BEGIN
            INSERT INTO outcomes (route, box, problem, language, created_at)
            VALUES (NEW.route, NEW.box, NEW.problem, NEW.language, NEW.outcome_at);
        END
        """,
    ),
    # 3: the updated_at index cost two extra page writes on every step; pruning, an hourly
    # job, walks the primary key in batches instead.
    ("DROP INDEX sessions_updated_at",),
    # 4: a person's own choices, across chats.
    (
        """
        CREATE TABLE users (
            user_id    INTEGER PRIMARY KEY,
            language   TEXT NOT NULL,  -- chosen with /language
            updated_at REAL NOT NULL
        )
        """,
    ),
    # 5: reminders before a deadline; a pending one has no sent_at.
    (
        """
        CREATE TABLE reminders (
            id         INTEGER PRIMARY KEY,
            user_id    INTEGER NOT NULL,
            chat_id    INTEGER NOT NULL,
            due_at     REAL    NOT NULL,  -- Unix seconds
            deadline   TEXT    NOT NULL,  -- the last day (ISO) the reminder is about
            kind       TEXT    NOT NULL,  -- protection | confirmed_on
            language   TEXT    NOT NULL,
            created_at REAL    NOT NULL,
            sent_at    REAL
        )
        """,
        "CREATE INDEX reminders_pending ON reminders (due_at) WHERE sent_at IS NULL",
        "CREATE INDEX reminders_user ON reminders (user_id)",
    ),
    # 6: chats that refuse the bot's messages (the person blocked it, or the bot was removed
    # from the group): the bot stops writing there. Kept apart from the sessions, which are
    # pruned, so the mark outlives them; a step in that chat (the person wrote again)
    # lifts it, in the same statement, through the triggers.
    (
        """
        CREATE TABLE blocked_chats (
            chat_id    INTEGER PRIMARY KEY,
            blocked_at REAL NOT NULL
        )
        """,
        """
        CREATE TRIGGER sessions_unblock_insert AFTER INSERT ON sessions
        BEGIN
            DELETE FROM blocked_chats WHERE chat_id = NEW.chat_id;
        END
        """,
        """
        CREATE TRIGGER sessions_unblock_update AFTER UPDATE OF updated_at ON sessions
        BEGIN
            DELETE FROM blocked_chats WHERE chat_id = NEW.chat_id;
        END
        """,
    ),
    # 7: a step updates the row in place (INSERT … ON CONFLICT DO UPDATE) instead of
    # INSERT OR REPLACE, which deleted and re-inserted it: 3× cheaper on a large table. An
    # existing conversation reaching its answer is now an UPDATE, so the outcome trigger
    # has an UPDATE twin; it fires only when outcome_at itself changes, so re-saving the
    # same answer (a replay) or noting the message id records nothing twice.
    (
        """
        CREATE TRIGGER sessions_outcome_update AFTER UPDATE OF outcome_at ON sessions
        WHEN NEW.outcome_at IS NOT NULL AND NEW.outcome_at = NEW.updated_at
            AND NEW.outcome_at IS NOT OLD.outcome_at
        BEGIN
            INSERT INTO outcomes (route, box, problem, language, created_at)
            VALUES (NEW.route, NEW.box, NEW.problem, NEW.language, NEW.outcome_at);
        END
        """,
    ),
    # 8: updates accepted from Telegram and not yet handled. Telegram is told they are done
    # as soon as they are written here, so one slow update never holds up the others; after
    # a crash they are handled at start-up.
    (
        """
        CREATE TABLE inbox (
            update_id   INTEGER PRIMARY KEY,
            body        TEXT NOT NULL,  -- the update as JSON
            received_at REAL NOT NULL
        )
        """,
    ),
    # 9: small values kept across restarts: the getUpdates offset at the last stop, so
    # the next start confirms the last batch if the stop could not.
    (
        """
        CREATE TABLE state (
            key        TEXT PRIMARY KEY,
            value      INTEGER NOT NULL,
            updated_at REAL NOT NULL
        )
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    "chat_id, user_id, step, seq, language, answers, route, problem, box, message_id, "
    "last_update_id, created_at, updated_at, outcome_at"
)
_KEY = ("chat_id", "user_id")
#: Writes a whole session (in place when it exists).
_UPSERT = (
    f"INSERT INTO sessions ({_COLUMNS}) "
    f"VALUES ({', '.join('?' * len(_COLUMNS.split(',')))}) "
    "ON CONFLICT (chat_id, user_id) DO UPDATE SET "
    + ", ".join(
        f"{c} = excluded.{c}" for c in (c.strip() for c in _COLUMNS.split(",")) if c not in _KEY
    )
)


_REMINDER_COLUMNS = "id, user_id, chat_id, due_at, deadline, kind, language"


def _row_to_reminder(row: Sequence[Any]) -> Reminder:
    id_, user_id, chat_id, due_at, deadline, kind, language = row
    return Reminder(id_, user_id, chat_id, due_at, date.fromisoformat(deadline), kind, language)


@dataclass(frozen=True, slots=True)
class Outcome:
    route: Route
    box: str
    problem: str
    language: str
    created_at: float


__all__ = ["Reminder", "Stats"]  # kept here for those who read them from the store


class StorageError(RuntimeError):
    """The database file cannot be used (newer schema, not a database…)."""


class DamagedDatabase(StorageError):
    """The database file is damaged: the message says what to do."""


def forget_log_files(path: Path) -> None:
    """Remove the write-ahead log and its index beside ``path``.

    Called when the file at ``path`` is no longer the one the bot opened (deleted, or a
    restored copy moved over it): the log beside it belongs to the old file, and SQLite,
    which cannot tell, would apply it to the new one at the next start and damage it.
    """
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def damaged_message(path: Path, detail: str) -> str:
    """One line for the operator: which file, what SQLite found, and how to repair it."""
    detail = " ".join(detail.split())  # quick_check reports a problem a line
    return (
        f"the database {path} is damaged ({detail[:300]}); stop the bot and restore the file "
        f'from a backup, or keep what can be read: sqlite3 {path} ".recover" | sqlite3 '
        "recovered.sqlite3, and put recovered.sqlite3 in its place (README: Backups and restore)"
    )


class Postponed(Exception):
    """The database kept refusing a statement until the bot was told to stop.

    Whatever was being handled is not done: an update stays in the inbox for the next start.
    """


#: SQLite's primary result codes for a refusal that may be gone a moment later: BUSY,
#: LOCKED, IOERR, FULL, CANTOPEN, PROTOCOL. The statement was not applied (every write is
#: one statement, or one transaction, in autocommit mode), so it can simply be run again.
_TRANSIENT_CODES = frozenset({5, 6, 10, 13, 14, 15})
_TRANSIENT_WORDS = (
    "database is locked",
    "database table is locked",
    "database or disk is full",
    "disk i/o error",
    "unable to open database file",
    "locking protocol",
)
#: CORRUPT and NOTADB: the file is damaged; waiting does not help.
_DAMAGED_CODES = frozenset({11, 26})
_DAMAGED_WORDS = ("database disk image is malformed", "file is not a database")


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _is_one_of(
    exc: BaseException, kind: type[sqlite3.Error], codes: Collection[int], words: Iterable[str]
) -> bool:
    """``exc`` is a ``kind`` with one of the primary result ``codes`` (or, where SQLite gave
    none, a message with one of the ``words``)."""
    if not isinstance(exc, kind):
        return False
    code = _primary_code(exc)
    if code is not None:
        return code in codes
    text = str(exc).lower()
    return any(word in text for word in words)


def is_transient(exc: BaseException) -> bool:
    """``exc`` is SQLite refusing for now (locked, disk full, an I/O error): try again later."""
    return _is_one_of(exc, sqlite3.Error, _TRANSIENT_CODES, _TRANSIENT_WORDS)


def is_damaged(exc: BaseException) -> bool:
    """``exc`` says the database file is damaged (or not a database at all)."""
    return _is_one_of(exc, sqlite3.DatabaseError, _DAMAGED_CODES, _DAMAGED_WORDS)


_P = ParamSpec("_P")
_T = TypeVar("_T")
_StoreMethod = Callable[Concatenate["SessionStore", _P], Coroutine[Any, Any, _T]]


def _retried(method: _StoreMethod[_P, _T]) -> _StoreMethod[_P, _T]:
    """Run the method again, with back-off, for as long as SQLite refuses it for now.

    Only for methods that can safely run twice: each is one statement, one transaction, or
    statements that give the same result when repeated. The first try costs nothing extra.
    """

    async def patiently(self: SessionStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return await method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            if not is_transient(exc):
                raise
            return await self._retry(exc, lambda: method(self, *args, **kwargs))

    functools.update_wrapper(patiently, method)
    return patiently


def _row_to_session(row: Sequence[Any]) -> Session:
    (
        chat_id,
        user_id,
        step,
        seq,
        language,
        answers,
        route,
        problem,
        box,
        message_id,
        last_update_id,
        created_at,
        updated_at,
        outcome_at,
    ) = row
    return Session(
        chat_id=chat_id,
        user_id=user_id,
        step=Step(step),
        seq=seq,
        language=language,
        answers=json.loads(answers),
        route=Route(route) if route else None,
        problem=problem,
        box=box,
        message_id=message_id,
        last_update_id=last_update_id,
        created_at=created_at,
        updated_at=updated_at,
        outcome_at=outcome_at,
    )


def _session_to_row(s: Session) -> tuple[Any, ...]:
    return (
        s.chat_id,
        s.user_id,
        s.step.value,
        s.seq,
        s.language,
        json.dumps(dict(s.answers), ensure_ascii=False, sort_keys=True),
        s.route.value if s.route else None,
        s.problem,
        s.box,
        s.message_id,
        s.last_update_id,
        s.created_at,
        s.updated_at,
        s.outcome_at,
    )


class SessionStore:
    """Conversations keyed by (chat, user), read on demand and written through."""

    #: Recently used sessions kept in memory. The store is the only writer, so the copy is
    #: always the stored one; bounded, so memory stays flat however many are stored.
    CACHE_SIZE = 4096

    #: How long a direct statement may wait for a lock before it goes through aiosqlite
    #: instead. Not at all: waiting would hold up the event loop, and everyone with it.
    DIRECT_BUSY_MS = 0

    #: How often the write-ahead log is copied into the database file, off the step path.
    CHECKPOINT_EVERY_S = 1.0

    #: The write-ahead log is started again from its beginning once it holds this many
    #: pages (~40 MB). Under a steady stream of steps a passive checkpoint never catches up
    #: with the newest page, and only a fully copied log can be started again.
    WAL_RESTART_PAGES = 10_000
    #: How long that restart may keep writers out while it waits for a reader (someone's
    #: ``sqlite3`` session, a backup) to let go of the old log; if it has to give up, it
    #: is not tried again for a while.
    RESTART_BUSY_MS = 50
    RESTART_BACKOFF_S = 30.0

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        # One aiosqlite connection serves every coroutine. Every write is a single statement
        # in autocommit mode, so writes never interleave inside a transaction; each call is
        # one round trip to aiosqlite's thread (execute_fetchall, not a cursor: 3× cheaper).
        # The hot statements by key go through ``_direct`` instead (see _write).
        self._conn = conn
        self.path = path
        self._cache: Lru[tuple[int, int], Session] = Lru(self.CACHE_SIZE)
        self._checkpointer: asyncio.Task[None] | None = None
        self._maintenance: aiosqlite.Connection | None = None
        self._checkpoints: sqlite3.Connection | None = None
        self._checkpoint_round: asyncio.Future[None] | None = None
        self._seen_version: int | None = None
        self._restart_not_before = 0.0
        #: Set by the checkpoint's thread while it copies the log and starts it again:
        #: meanwhile steps are written through aiosqlite (see _checkpoint_once).
        self._log_busy = False
        self._direct: sqlite3.Connection | None = None
        #: Set when the bot stops: statements waiting for the database give up (Postponed).
        self._give_up = asyncio.Event()
        self._failing_since: float | None = None  # the database refuses statements
        self._outage_logged = 0.0
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the opened file

    def _remember(self, session: Session) -> None:
        self._cache.put((session.chat_id, session.user_id), session)

    #: Back-off between tries of a statement the database refused for now (seconds).
    RETRY_FIRST_S = 0.05
    RETRY_MAX_S = 5.0

    #: While the database refuses statements, the log says so again this often (seconds).
    OUTAGE_REPEAT_S = 300.0

    def _still_failing(self, exc: sqlite3.Error) -> None:
        now = time.monotonic()
        if self._failing_since is None or now < self._outage_logged + self.OUTAGE_REPEAT_S:
            return
        self._outage_logged = now
        log.warning(
            "the database %s still refuses statements (%s), for %.0f s now",
            self.path,
            exc,
            now - self._failing_since,
        )

    def stop_retrying(self) -> None:
        """The bot stops: statements waiting for the database raise :class:`Postponed`."""
        self._give_up.set()

    async def _retry(self, first: sqlite3.Error, call: Callable[[], Awaitable[_T]]) -> _T:
        """Try ``call`` again until the database accepts it (see :func:`_retried`).

        The outage is logged once, when it starts, and once when it is over. The update
        being handled is told it waits (:func:`bot.tracing.storage_waits`), so the person
        can be told too.
        """
        if self._failing_since is None:
            self._failing_since = self._outage_logged = time.monotonic()
            log.warning(
                "the database %s refuses statements (%s); they wait and are tried again",
                self.path,
                first,
            )
        await storage_waits(True)
        delay = self.RETRY_FIRST_S
        while True:
            if self._give_up.is_set():
                raise Postponed(f"the database {self.path} refused a statement: {first}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._give_up.wait(), delay)
            if self._give_up.is_set():
                raise Postponed(f"the database {self.path} refused a statement: {first}")
            delay = min(delay * 2, self.RETRY_MAX_S)
            try:
                result = await call()
            except sqlite3.Error as exc:
                if not is_transient(exc):
                    raise
                self._still_failing(exc)
                continue
            if self._failing_since is not None:
                log.warning(
                    "the database %s accepts statements again, after %.1f s",
                    self.path,
                    time.monotonic() - self._failing_since,
                )
                self._failing_since = None
            return result

    @classmethod
    async def open(cls, path: Path | str) -> SessionStore:
        """Open (creating if needed) the database at ``path`` and migrate it."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder of {path}: {exc}") from exc
        try:
            conn = await cls._connect(path)
        except sqlite3.DatabaseError as exc:
            if is_damaged(exc):
                raise DamagedDatabase(damaged_message(path, str(exc))) from exc
            raise StorageError(f"cannot use {path} as the bot's database: {exc}") from exc
        try:
            store = cls(conn, path)
            await store._check()
            await store._migrate()
            # Checkpoints run on their own connection (see _checkpoint_forever); this one
            # only falls back to checkpointing itself if the log grows past ~40 MB.
            await conn.execute("PRAGMA wal_autocheckpoint=10000")
            maintenance = await cls._connect(path)
        except (sqlite3.DatabaseError, StorageError) as exc:
            await conn.close()
            if isinstance(exc, StorageError):
                raise
            if is_damaged(exc):
                raise DamagedDatabase(damaged_message(path, str(exc))) from exc
            raise StorageError(f"cannot use {path} as the bot's database: {exc}") from exc
        store._identity = cls._identify(path)
        store._maintenance = maintenance
        store._direct = cls._connect_plain(path, cls.DIRECT_BUSY_MS)
        store._checkpoints = cls._connect_plain(path, cls.RESTART_BUSY_MS, any_thread=True)
        store._checkpointer = asyncio.create_task(store._checkpoint_forever())
        return store

    @staticmethod
    def _identify(path: Path) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def file_replaced(self) -> str | None:
        """How the file at ``path`` stopped being the one this store opened (deleted, or
        another file moved over it); None while it is the same file (or cannot be told)."""
        if self._identity is None:
            return None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return "deleted"
        except OSError:  # cannot tell now (an I/O error): writes will say more
            return None
        if (st.st_dev, st.st_ino) != self._identity:
            return "replaced by another file"
        return None

    @staticmethod
    async def _connect(path: Path) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            # busy_timeout first: switching to WAL takes a lock another process may hold.
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            await conn.close()
            raise
        return conn

    @staticmethod
    def _connect_plain(path: Path, busy_ms: int, *, any_thread: bool = False) -> sqlite3.Connection:
        """A plain sqlite3 connection that never copies the log into the file by itself
        (``wal_autocheckpoint=0``): the background checkpoint does.

        Two of them: ``_direct``, for the statements of a conversation step on the event
        loop's thread (see :meth:`_write`), and ``_checkpoints``, for the background
        checkpoint on a worker thread, one round at a time (``any_thread``; see
        :meth:`_checkpoint_once`).
        """
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=not any_thread)
        conn.execute(f"PRAGMA busy_timeout={busy_ms}")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    async def _checkpoint_forever(self) -> None:
        """Copy committed pages from the log into the file, every second, on a worker thread.

        A commit only appends to the write-ahead log; copying pages back (a checkpoint), and
        starting a fully copied log again, are what make a write slow now and then: the
        second syncs the new log's header to disk. Both are done here, so a step written
        directly on the event loop does neither (see :meth:`_checkpoint_once`).
        """
        while True:
            await asyncio.sleep(self.CHECKPOINT_EVERY_S)
            # Shielded: the round's thread cannot be stopped; close() waits for it.
            self._checkpoint_round = asyncio.ensure_future(asyncio.to_thread(self._checkpoint_once))
            try:
                await asyncio.shield(self._checkpoint_round)
            except sqlite3.Error as exc:
                log.warning("background checkpoint failed: %s", exc)
            except Exception:  # never let the checkpoint stop: the log would grow forever
                log.exception("background checkpoint failed")

    def _checkpoint_once(self) -> None:
        """One round of the background checkpoint.

        - Nothing written since the last round (``data_version`` unchanged): nothing to do.
        - A passive checkpoint copies what it can while steps go on.
        - Under a steady stream of steps the log grows all the same; once it is long, a
          restarting checkpoint keeps writers out (they go through aiosqlite and wait) until
          it has copied everything, waiting at most ``RESTART_BUSY_MS`` for a reader to let
          go of the old log.
        - A fully copied log is started again by the next write, which syncs its header to
          disk: that write is made here, at once (``user_version`` written back unchanged),
          not left to a step. Steps written meanwhile go through aiosqlite (``_log_busy``),
          as this thread may wait for the interpreter between the two statements.
        """
        conn = self._checkpoints
        assert conn is not None
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._seen_version:
            return
        self._seen_version = version  # steps committed during this round count as new
        self._log_busy = True
        try:
            busy, log_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            # "All copied" is as of the checkpoint's start: steps written meanwhile are not,
            # so under a steady stream the log is never started again, only ever longer.
            if log_pages >= self.WAL_RESTART_PAGES and time.monotonic() >= self._restart_not_before:
                busy, log_pages, copied = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                if busy:
                    log.info("the write-ahead log is in use; its restart is left for later")
                    self._restart_not_before = time.monotonic() + self.RESTART_BACKOFF_S
            if not busy and log_pages > 0 and copied == log_pages:
                self._start_log_again(conn)
        finally:
            self._log_busy = False

    @staticmethod
    def _start_log_again(conn: sqlite3.Connection) -> None:
        """Make the first write of a fully copied log: ``user_version``, written back as it
        is (a newer bot may have migrated the file meanwhile)."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # someone else writes first: fine too
            log.debug("the write-ahead log is started again by another write: %s", exc)
            return
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.rollback()
            raise

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
        if self._checkpoint_round is not None:
            # wait(), not await: cancelling close() must not cancel the round, whose thread
            # goes on using the connection closed below.
            await asyncio.wait({self._checkpoint_round})
            if not self._checkpoint_round.cancelled():
                self._checkpoint_round.exception()  # logged by the loop already
        if self._checkpoints is not None:
            self._checkpoints.close()
        if self._maintenance is not None:
            await self._maintenance.close()
        if self._direct is not None:
            self._direct.close()
        await self._conn.close()

    async def backup(self, destination: Path) -> int:
        """A consistent copy of the database at ``destination``, taken while the bot runs
        (SQLite's online backup API: one read transaction, so writers are not held up),
        checked with ``quick_check`` and then moved into place atomically. Returns its size
        in bytes."""
        return await asyncio.to_thread(self._backup_to, Path(destination))

    def _backup_to(self, destination: Path) -> int:
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        partial.unlink(missing_ok=True)
        # Read-only: a database deleted under the bot must not be created again, empty.
        source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
                (result,) = copy.execute("PRAGMA quick_check").fetchone()
                if result != "ok":
                    raise StorageError(f"the copy of {self.path} does not check out: {result}")
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
            with open(partial, "rb") as written:
                os.fsync(written.fileno())
            os.replace(partial, destination)
        except BaseException:
            partial.unlink(missing_ok=True)  # no half-written copy left behind
            raise
        finally:
            source.close()
        return destination.stat().st_size

    async def _check(self) -> None:
        """``PRAGMA quick_check``: every page of every table and index readable and well
        formed (not the contents of indexes against their tables: that is integrity_check,
        slower). 0.18 s for an 87 MB file of a million sessions, in the page cache."""
        rows = await self._conn.execute_fetchall("PRAGMA quick_check(5)")
        problems = [str(row[0]) for row in rows if row and row[0] != "ok"]
        if problems:
            raise DamagedDatabase(damaged_message(self.path, "; ".join(problems)))

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            version = await self.schema_version()
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path} has schema version {version}, newer than this bot's "
                    f"{SCHEMA_VERSION}: upgrade the bot"
                )
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    await self._conn.execute(statement)
            await self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        await self._conn.execute("COMMIT")

    def cached(self, chat_id: int, user_id: int) -> Session | None:
        """The conversation if it is in memory (no database read)."""
        return self._cache.get((chat_id, user_id))

    @_retried
    async def get(self, chat_id: int, user_id: int) -> Session | None:
        """The conversation of ``user_id`` in ``chat_id``, if there is one."""
        cached = self._cache.get((chat_id, user_id))
        if cached is not None:
            return cached
        rows = await self._read(
            f"SELECT {_COLUMNS} FROM sessions WHERE chat_id = ? AND user_id = ?",
            (chat_id, user_id),
        )
        for row in rows:
            session = _row_to_session(row)
            self._remember(session)
            return session
        return None

    async def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """``executemany``, its cursor closed on aiosqlite's thread.

        A sqlite3 cursor left to the garbage collector is finalised on the event loop's
        thread, possibly while aiosqlite's thread runs another statement on the same
        connection: SQLite calls that misuse ("bad parameter or other API misuse").
        """
        async with self._conn.executemany(sql, rows):
            pass

    async def _read(self, sql: str, params: tuple[Any, ...]) -> Iterable[Sequence[Any]]:
        """A small read by key: directly (see :meth:`_write`), else via aiosqlite."""
        if self._direct is not None:
            try:
                return self._direct.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:  # locked for a moment: the slow way
                log.debug("direct read failed (%s); reading through aiosqlite", exc)
                await storage_waits(False)
        return await self._conn.execute_fetchall(sql, params)

    async def _write(self, sql: str, params: Sequence[Any]) -> None:
        """One statement by key, committed: directly, or through aiosqlite if the database
        is locked.

        Reading one session by its key, or writing it, takes SQLite 10–20 µs; a round trip
        to aiosqlite's thread costs 60 µs when its thread is awake and 150 µs or more between
        steps, when it has gone to sleep. So these statements (this and :meth:`_read`) run
        directly on the event loop's thread. They never wait: if another connection holds
        the lock (a ``/forget``, a prune, a migration, the checkpoint restarting the log),
        SQLite says so at once and the statement goes through aiosqlite, which waits off the
        event loop. Anything that can take long (scans, batches, transactions) uses
        aiosqlite only.
        """
        if self._direct is not None and not self._log_busy:
            try:
                self._direct.execute(sql, params)
                return
            except sqlite3.OperationalError as exc:  # refused (autocommit): not applied
                log.debug("direct write failed (%s); writing through aiosqlite", exc)
                await storage_waits(False)  # it may wait up to the busy timeout
        await self._conn.execute_fetchall(sql, params)

    @_retried
    async def save(self, session: Session) -> None:
        """Write ``session`` and commit.

        When the session has just reached its answer (``outcome_at == updated_at``), a
        trigger records the outcome in the same statement.
        """
        try:
            await self._write(_UPSERT, _session_to_row(session))
        except BaseException:
            self._cache.pop((session.chat_id, session.user_id))
            raise
        self._remember(session)

    @_retried
    async def set_message_id(self, chat_id: int, user_id: int, seq: int, message_id: int) -> None:
        """Remember which message shows the keyboard of screen ``seq``.

        Does nothing if the conversation has already moved past ``seq``.
        """
        await self._write(
            "UPDATE sessions SET message_id = ? WHERE chat_id = ? AND user_id = ? AND seq = ?",
            (message_id, chat_id, user_id, seq),
        )
        cached = self._cache.get((chat_id, user_id))
        if cached is not None and cached.seq == seq:
            self._cache.put((chat_id, user_id), replace(cached, message_id=message_id))

    async def prune(self, older_than: float, batch: int = 1000) -> int:
        """Delete conversations last touched before ``older_than`` (Unix seconds).

        Walks the primary key in batches (there is no index on the time: it would cost
        every step two page writes), so a large store never holds up the conversations
        for long. Outcomes stay: they hold nothing personal and feed the statistics.
        """
        removed, after = 0, (-(2**63), -(2**63))
        while True:
            rows = list(
                await self._conn.execute_fetchall(
                    "SELECT chat_id, user_id, updated_at < ? FROM sessions"
                    " WHERE (chat_id, user_id) > (?, ?) ORDER BY chat_id, user_id LIMIT ?",
                    (older_than, *after, batch),
                )
            )
            if not rows:
                break
            old = [(chat_id, user_id) for chat_id, user_id, is_old in rows if is_old]
            if old:
                await self._many(
                    "DELETE FROM sessions WHERE chat_id = ? AND user_id = ? AND updated_at < ?",
                    [(*key, older_than) for key in old],
                )
                removed += len(old)
            last = rows[-1]
            after = (last[0], last[1])
        # Reminders already sent are history too.
        await self._conn.execute_fetchall(
            "DELETE FROM reminders WHERE sent_at IS NOT NULL AND sent_at < ?", (older_than,)
        )
        if removed:
            self._cache.clear()
        return removed

    @_retried
    async def set_blocked(self, chat_id: int, blocked: bool, now: float) -> None:
        """Mark ``chat_id`` as refusing the bot's messages, or no longer."""
        if blocked:
            await self._conn.execute_fetchall(
                "INSERT OR IGNORE INTO blocked_chats (chat_id, blocked_at) VALUES (?, ?)",
                (chat_id, now),
            )
        else:
            await self._conn.execute_fetchall(
                "DELETE FROM blocked_chats WHERE chat_id = ?", (chat_id,)
            )

    @_retried
    async def is_blocked(self, chat_id: int) -> bool:
        rows = await self._read("SELECT 1 FROM blocked_chats WHERE chat_id = ?", (chat_id,))
        return any(True for _ in rows)

    # ---- the inbox ---------------------------------------------------------------------

    @_retried
    async def set_state(self, key: str, value: int, now: float) -> None:
        await self._conn.execute_fetchall(
            "INSERT OR REPLACE INTO state (key, value, updated_at) VALUES (?, ?, ?)",
            (key, value, now),
        )

    @_retried
    async def state(self, key: str, newer_than: float) -> int | None:
        """The value kept under ``key``, if it was written after ``newer_than``."""
        rows = await self._conn.execute_fetchall(
            "SELECT value FROM state WHERE key = ? AND updated_at > ?", (key, newer_than)
        )
        for (value,) in rows:
            return int(value)
        return None

    @_retried
    async def inbox_add(self, updates: Sequence[tuple[int, str]], now: float) -> None:
        """Keep updates (id, JSON) until they are handled; one already kept stays as it is."""
        await self._many(
            "INSERT OR IGNORE INTO inbox (update_id, body, received_at) VALUES (?, ?, ?)",
            [(update_id, body, now) for update_id, body in updates],
        )

    @_retried
    async def inbox_remove(self, update_ids: Sequence[int]) -> None:
        await self._many("DELETE FROM inbox WHERE update_id = ?", [(i,) for i in update_ids])

    async def inbox(self) -> list[tuple[int, str]]:
        """The updates not handled yet, oldest first."""
        rows = await self._conn.execute_fetchall(
            "SELECT update_id, body FROM inbox ORDER BY update_id"
        )
        return [(int(i), str(body)) for i, body in rows]

    @_retried
    async def language(self, user_id: int) -> str | None:
        """The language ``user_id`` chose with /language, if any."""
        rows = await self._read("SELECT language FROM users WHERE user_id = ?", (user_id,))
        for (language,) in rows:
            return str(language)
        return None

    @_retried
    async def set_language(self, user_id: int, language: str, now: float) -> None:
        """Remember ``user_id``'s language, and switch their conversations to it."""
        await self._conn.execute_fetchall(
            "INSERT OR REPLACE INTO users (user_id, language, updated_at) VALUES (?, ?, ?)",
            (user_id, language, now),
        )
        await self._conn.execute_fetchall(
            "UPDATE sessions SET language = ? WHERE user_id = ?", (language, user_id)
        )
        await self._conn.execute_fetchall(
            "UPDATE reminders SET language = ? WHERE user_id = ? AND sent_at IS NULL",
            (language, user_id),
        )
        for key, session in self._cache.items():
            if session.user_id == user_id:
                self._cache.put(key, replace(session, language=language))

    @_retried
    async def forget(self, user_id: int) -> None:
        """Delete everything stored about ``user_id``, in every table that names them.

        (Outcomes name nobody: they stay, as anonymous counts.)
        """
        # All or nothing, on the maintenance connection: a transaction on the shared one
        # would take in any statement another conversation queued meanwhile, and a
        # rollback would undo it too. Other writers wait for the lock on their own thread.
        # A script takes no parameters; the id is an int, formatted as one.
        uid = int(user_id)
        deletes = "".join(
            f"DELETE FROM {table} WHERE user_id = {uid};"
            for table in ("sessions", "users", "reminders")
        )
        conn = self._maintenance or self._conn
        try:
            async with conn.executescript(f"BEGIN IMMEDIATE;{deletes}COMMIT;"):
                pass
        except BaseException:
            if conn.in_transaction:
                await conn.execute_fetchall("ROLLBACK")
            raise
        for key, _ in self._cache.items():
            if key[1] == user_id:
                self._cache.pop(key)

    async def rows_about(self, user_id: int) -> int:
        """How many rows in all tables name ``user_id`` (for /forget's tests and audits)."""
        total = 0
        for table in ("sessions", "users", "reminders"):
            rows = await self._conn.execute_fetchall(
                f"SELECT count(*) FROM {table} WHERE user_id = ?", (user_id,)
            )
            total += sum(int(r[0]) for r in rows)
        return total

    @_retried
    async def add_reminders(
        self,
        user_id: int,
        chat_id: int,
        due: Sequence[float],
        deadline: date,
        kind: str,
        language: str,
        now: float,
    ) -> None:
        """Plan reminders at the times ``due`` about ``deadline``; an identical one is kept once."""
        day = deadline.isoformat()
        await self._many(
            "INSERT INTO reminders (user_id, chat_id, due_at, deadline, kind, language, created_at)"
            " SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM reminders"
            " WHERE user_id = ? AND chat_id = ? AND due_at = ? AND deadline = ?"
            " AND sent_at IS NULL)",
            [
                (user_id, chat_id, at, day, kind, language, now, user_id, chat_id, at, day)
                for at in due
            ],
        )

    async def due_reminders(self, now: float, limit: int = 50) -> list[Reminder]:
        """Pending reminders whose time has come, oldest first; none for a blocked chat.

        (A blocked chat's reminders wait: if the person writes again before the deadline,
        they are sent then.)
        """
        rows = await self._conn.execute_fetchall(
            f"SELECT {_REMINDER_COLUMNS} FROM reminders r"
            " WHERE sent_at IS NULL AND due_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM blocked_chats b WHERE b.chat_id = r.chat_id)"
            " ORDER BY due_at LIMIT ?",
            (now, limit),
        )
        return [_row_to_reminder(r) for r in rows]

    @_retried
    async def mark_sent(self, reminder_id: int, now: float) -> None:
        await self._conn.execute_fetchall(
            "UPDATE reminders SET sent_at = ? WHERE id = ?", (now, reminder_id)
        )

    @_retried
    async def pending_reminders(self, user_id: int) -> list[Reminder]:
        """``user_id``'s reminders still to come, soonest first."""
        rows = await self._conn.execute_fetchall(
            f"SELECT {_REMINDER_COLUMNS} FROM reminders"
            " WHERE user_id = ? AND sent_at IS NULL ORDER BY due_at",
            (user_id,),
        )
        return [_row_to_reminder(r) for r in rows]

    @_retried
    async def cancel_reminder(self, user_id: int, reminder_id: int) -> None:
        """Delete one of ``user_id``'s reminders (someone else's id does nothing)."""
        await self._conn.execute_fetchall(
            "DELETE FROM reminders WHERE id = ? AND user_id = ?", (reminder_id, user_id)
        )

    @_retried
    async def stats(self, day_start: float, week_start: float) -> Stats:
        """Figures for /stats: conversations started, and answers shown by box and route."""

        async def count(sql: str, *args: object) -> int:
            rows = list(await self._conn.execute_fetchall(sql, args))
            return int(rows[0][0]) if rows else 0

        async def grouped(column: str) -> dict[str, int]:
            rows = await self._conn.execute_fetchall(
                f"SELECT {column}, count(*) FROM outcomes WHERE created_at >= ?"
                f" GROUP BY {column} ORDER BY count(*) DESC, {column}",
                (week_start,),
            )
            return {str(name): int(n) for name, n in rows}

        started = "SELECT count(*) FROM sessions WHERE created_at >= ?"
        return Stats(
            conversations_today=await count(started, day_start),
            conversations_week=await count(started, week_start),
            boxes=await grouped("box"),
            routes=await grouped("route"),
        )

    async def count_sessions(self) -> int:
        async with self._conn.execute("SELECT count(*) FROM sessions") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def outcomes(self, since: float = 0.0) -> list[Outcome]:
        """Outcomes reached since ``since`` (Unix seconds), oldest first."""
        async with self._conn.execute(
            "SELECT route, box, problem, language, created_at FROM outcomes "
            "WHERE created_at >= ? ORDER BY id",
            (since,),
        ) as cur:
            rows = await cur.fetchall()
        return [Outcome(Route(r[0]), r[1], r[2], r[3], r[4]) for r in rows]
