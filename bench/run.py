"""Benchmarks: throughput, the cost of a durable step at scale, memory, start-up.

    python bench/run.py                 # a readable table
    python bench/run.py --quick --json  # under a minute, one JSON object

Everything runs on this machine, in-process where it can: the bot and a bare
python-telegram-bot echo bot are driven through ``Application.process_update`` with an
in-process transport (no network), on the real SQLite store. Scale figures come from a fresh
child process per size, so one size's memory does not colour the next.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot, Update  # noqa: E402
from telegram.ext import ApplicationBuilder, MessageHandler, filters  # noqa: E402
from telegram.request import BaseRequest, RequestData  # noqa: E402

from bot.app import AnyApplication, build_application  # noqa: E402
from bot.config import Secret, Settings  # noqa: E402
from bot.dispatch import Dispatcher  # noqa: E402
from bot.flow import Session, Step  # noqa: E402
from bot.storage import _COLUMNS, SessionStore, _session_to_row  # noqa: E402

TOKEN = "123456:BENCH-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


# ---- an in-process Bot API -------------------------------------------------------------------


class InProcessRequest(BaseRequest):
    """Answers every Bot API call at once, as Telegram would for a valid call."""

    def __init__(self) -> None:
        self._message_id = 0
        self.calls = 0

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.calls += 1
        name = url.rsplit("/", 1)[-1]
        status, body = self.answer(name, request_data.parameters if request_data else {})
        return status, json.dumps(body).encode()

    def answer(self, name: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body Telegram would give for Bot API method ``name``."""
        result: Any = True
        if name == "getMe":
            result = BOT_USER
        elif name == "getUpdates":
            result = []
        elif name in ("sendMessage", "editMessageText"):
            self._message_id += 1
            chat_id = int(str(params.get("chat_id", 1)))
            result = {
                "message_id": int(str(params.get("message_id", self._message_id))),
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "x",
            }
        return 200, {"ok": True, "result": result}


# ---- updates ---------------------------------------------------------------------------------


class Updates:
    def __init__(self) -> None:
        self.update_id = 0

    def _next(self) -> int:
        self.update_id += 1
        return self.update_id

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "ru"}

    def text(self, user_id: int, text: str, command: bool = False) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.update_id + 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private", "first_name": "U"},
            "from": self._user(user_id),
            "text": text,
        }
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"update_id": self._next(), "message": message}

    def press(self, user_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
        return {
            "update_id": self._next(),
            "callback_query": {
                "id": str(self.update_id),
                "from": self._user(user_id),
                "chat_instance": "1",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": 0,
                    "chat": {"id": user_id, "type": "private", "first_name": "U"},
                    "from": BOT_USER,
                    "text": "x",
                },
            },
        }

    def inline(self, user_id: int, query: str) -> dict[str, Any]:
        return {
            "update_id": self._next(),
            "inline_query": {
                "id": str(self.update_id),
                "from": self._user(user_id),
                "query": query,
                "offset": "",
            },
        }


def conversation(updates: Updates, user_id: int) -> list[dict[str, Any]]:
    """/complaint → «Да» → «15 дней назад или раньше» → «Посылка так и не пришла»."""
    return [
        updates.text(user_id, "/complaint", command=True),
        updates.press(user_id, f"v1:{user_id}:1:yes"),
        updates.press(user_id, f"v1:{user_id}:2:no"),
        updates.press(user_id, f"v1:{user_id}:3:p.not_arrived"),
    ]


async def run_updates(app: AnyApplication, raw: list[dict[str, Any]]) -> float:
    """Feed updates through process_update; return the seconds it took.

    Between updates the event loop gets a turn, as it does between a poller's reads, so
    background tasks (the bot's checkpoint of the write-ahead log) run as they would.
    """
    bot: Bot = app.bot
    start = time.perf_counter()
    for data in raw:
        await app.process_update(Update.de_json(data, bot))
        await asyncio.sleep(0)
    return time.perf_counter() - start


# ---- 1. throughput -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def the_bot(db: Path) -> AsyncIterator[AnyApplication]:
    """The real application over the in-process transport, set up as run_polling does."""
    settings = Settings(token=Secret(TOKEN), database_path=db)
    # Without Telegram's 30-a-second limit: this measures how much the bot can process.
    app = build_application(settings, request=InProcessRequest(), rate_limit=False)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    try:
        yield app
    finally:
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)


def echo_bot() -> AnyApplication:
    """A bare python-telegram-bot echo bot on the same in-process transport."""
    app = ApplicationBuilder().token(TOKEN).request(InProcessRequest()).build()

    async def echo(update: Update, context: Any) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


async def run_dispatched(app: AnyApplication, raw: list[dict[str, Any]]) -> float:
    """Feed updates through the bot's dispatcher, as polling and the webhook do: different
    people's updates concurrently, each person's in order. Returns the seconds it took."""
    bot: Bot = app.bot
    start = time.perf_counter()
    dispatcher = Dispatcher(app.process_update)
    for data in raw:
        dispatcher.submit(Update.de_json(data, bot))
    await dispatcher.close()
    return time.perf_counter() - start


async def side_by_side(
    users: int, db: Path, *, dispatched: bool = False, batch: int = 25
) -> tuple[float, float]:
    """Updates per second of the bot and of the echo bot, measured in the same run.

    The two take turns, ``batch`` conversations of the bot and then as many updates of the
    echo bot, so that both see the same machine: on a shared machine the speed drifts by
    10–20 % from one second to the next, which separate runs would put into the ratio.
    ``dispatched``: the bot's updates go through its dispatcher (people concurrently), as
    it runs in production; the echo bot runs as PTB runs it by default, one at a time.
    """
    run_bot = run_dispatched if dispatched else run_updates
    echo = echo_bot()
    await echo.initialize()
    try:
        async with the_bot(db) as app:
            updates = Updates()
            # Warm-up: imports, caches, the first checkpoints.
            await run_bot(
                app, [u for uid in range(9_000, 9_050) for u in conversation(updates, uid)]
            )
            await run_updates(echo, [updates.text(uid, "привет") for uid in range(200)])
            bot_s = echo_s = 0.0
            count = 0
            for first in range(0, users, batch):
                ids = range(10_000 + first, 10_000 + min(first + batch, users))
                raw = [u for uid in ids for u in conversation(updates, uid)]
                bot_s += await run_bot(app, raw)
                texts = [updates.text(uid, "привет") for uid in range(len(raw))]
                echo_s += await run_updates(echo, texts)
                count += len(raw)
    finally:
        await echo.shutdown()
    return count / bot_s, count / echo_s


async def inline_ms(db: Path, count: int) -> float:
    async with the_bot(db) as app:
        updates = Updates()
        queries = ["не пришла посылка", "подделка", "", "прислали не тот размер", "брак"]
        raw = [updates.inline(1, queries[i % len(queries)]) for i in range(count)]
        return await run_updates(app, raw) * 1000 / len(raw)


# ---- 2. scale --------------------------------------------------------------------------------


def prefill(db: Path, count: int) -> None:
    """Bulk-insert ``count`` finished-looking sessions, as a store that has lived a while."""

    async def create() -> None:
        store = await SessionStore.open(db)
        await store.close()

    asyncio.run(create())
    now = time.time()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    batch = 50_000
    columns = len(_session_to_row(Session(1, 1, Step.CONFIRMED, "ru", 0, 0)))
    sql = f"INSERT INTO sessions ({_COLUMNS}) VALUES ({', '.join('?' * columns)})"
    for start in range(0, count, batch):
        rows = [
            _session_to_row(
                Session(
                    chat_id=uid,
                    user_id=uid,
                    step=Step.PROTECTION,
                    language="ru",
                    created_at=now,
                    updated_at=now,
                    seq=2,
                    answers={"confirmed": "no"},
                    message_id=1,
                )
            )
            for uid in range(start + 1, min(start + batch, count) + 1)
        ]
        conn.executemany(sql, rows)
        conn.commit()
    conn.close()


SCALE_CHILD = """
import asyncio, json, random, sys, time
sys.path.insert(0, {root!r})
from bot.service import Content
from bot.service import Event, Kind
from bot.storage import SessionStore

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

async def main():
    db, count, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    content = Content.load()
    store = await SessionStore.open(db)
    service = content.conversations(store)
    rng = random.Random(7)
    users = rng.sample(range(1, count + 1), min(steps, count))
    press = lambda uid, data: service.handle(Event(Kind.PRESS, uid, uid, "ru", data, 1))
    # Every stored session waits at the protection question (seq 2).
    for uid in users[:200]:  # warm-up: imports, caches, the first checkpoints
        await press(uid, f"v1:{{uid}}:2:no")
    measured = users[200:]
    # A cold step: the session is read from SQLite, moved, written and committed.
    start = time.perf_counter()
    for uid in measured:
        await press(uid, f"v1:{{uid}}:2:no")
    step_ms = (time.perf_counter() - start) * 1000 / len(measured)
    # The next step of the people who went last, as in a real conversation: their sessions
    # are still in the store's memory, so only the write reaches SQLite.
    recent = measured[-1000:]
    start = time.perf_counter()
    for uid in recent:
        await press(uid, f"v1:{{uid}}:3:no")
    warm_ms = (time.perf_counter() - start) * 1000 / len(recent)
    stored = await store.get(measured[-1], measured[-1])
    assert stored is not None and stored.step.value == "problem", stored
    rss = rss_mb()
    await store.close()
    print(json.dumps({{"step_ms": step_ms, "warm_step_ms": warm_ms, "rss_mb": rss}}))

asyncio.run(main())
"""


def scale_point(count: int, steps: int, workdir: Path) -> dict[str, float]:
    db = workdir / f"scale-{count}.sqlite3"
    prefill(db, count)
    out = subprocess.run(
        [sys.executable, "-c", SCALE_CHILD.format(root=str(ROOT)), str(db), str(count), str(steps)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return dict(json.loads(out))


async def pickle_step_ms(users: int, workdir: Path, repeats: int) -> float:
    """PicklePersistence: the time to save one changed user among ``users``."""
    from telegram.ext import PicklePersistence

    path = workdir / f"pickle-{users}.pickle"
    persistence = PicklePersistence(filepath=path, single_file=True, on_flush=False)
    data = {"step": "protection", "answers": {"confirmed": "no"}, "seq": 2, "language": "ru"}
    persistence.user_data = {uid: dict(data) for uid in range(users)}
    persistence.bot_data = {}
    persistence.chat_data = {}
    persistence.callback_data = None
    persistence.conversations = {}
    await persistence.update_user_data(0, dict(data))  # first write
    start = time.perf_counter()
    for i in range(repeats):
        await persistence.update_user_data(i % users, {**data, "seq": 3 + i})
    elapsed = (time.perf_counter() - start) * 1000 / repeats
    path.unlink(missing_ok=True)
    return elapsed


# ---- 3. start-up -----------------------------------------------------------------------------


async def startup_s(workdir: Path) -> float:
    """From `python -m bot` starting to its first getUpdates, against a local fake API."""
    from tests.fake_telegram import FakeTelegram

    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_PATH": str(workdir / "startup.sqlite3"),
        "LOG_LEVEL": "WARNING",
    }
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        # The first getUpdates is a long poll: count from when it arrives, not when it ends.
        await fake.wait_for(lambda: fake.waiting_polls > 0, timeout=60)
        elapsed = time.perf_counter() - start
    finally:
        proc.terminate()
        await proc.wait()
        await fake.stop()
    return elapsed


# ---- main ------------------------------------------------------------------------------------


def measure(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        log("throughput…")
        users = 300 if quick else 2000
        bot_runs, echo_runs, ratios, dispatched_runs, dispatched_ratios = [], [], [], [], []
        for round_ in range(5):  # the median of five: this machine is noisy
            db = workdir / f"throughput-{round_}.sqlite3"
            bot_rate, echo_rate = asyncio.run(side_by_side(users, db))
            bot_runs.append(bot_rate)
            echo_runs.append(echo_rate)
            ratios.append(bot_rate / echo_rate)
            db = workdir / f"dispatched-{round_}.sqlite3"
            bot_rate, echo_rate = asyncio.run(side_by_side(users, db, dispatched=True))
            dispatched_runs.append(bot_rate)
            dispatched_ratios.append(bot_rate / echo_rate)
        updates_per_s = statistics.median(bot_runs)
        echo_per_s = statistics.median(echo_runs)
        dispatched_per_s = statistics.median(dispatched_runs)
        inline = asyncio.run(inline_ms(workdir / "inline.sqlite3", 500 if quick else 3000))
        step_ms: dict[str, float] = {}
        warm_step_ms: dict[str, float] = {}
        rss_mb: dict[str, float] = {}
        for count in (1_000, 100_000, 1_000_000):
            log(f"scale: {count} stored sessions…")
            point = scale_point(count, 1200 if quick else 5000, workdir)
            step_ms[str(count)] = round(point["step_ms"], 4)
            warm_step_ms[str(count)] = round(point["warm_step_ms"], 4)
            rss_mb[str(count)] = round(point["rss_mb"], 1)
        pickle: dict[str, float] = {}
        for users_stored in (1_000, 10_000, 100_000):
            log(f"PicklePersistence: {users_stored} users…")
            repeats = max(2, (2000 if not quick else 400) // users_stored * 10)
            pickle[str(users_stored)] = round(
                asyncio.run(pickle_step_ms(users_stored, workdir, min(repeats, 50))), 3
            )
        log("start-up…")
        startup = asyncio.run(startup_s(workdir))
    return {
        "updates_per_s": round(updates_per_s),
        "bare_echo_updates_per_s": round(echo_per_s),
        # Each round's ratio is of the two bots taking turns in one run; this is their median.
        "ratio_to_echo": round(statistics.median(ratios), 3),
        # The bot as it runs (its dispatcher: people concurrently), against the echo bot as
        # PTB runs it by default (one update at a time).
        "dispatched_updates_per_s": round(dispatched_per_s),
        "dispatched_ratio_to_echo": round(statistics.median(dispatched_ratios), 3),
        "step_ms": step_ms,
        "warm_step_ms": warm_step_ms,
        "rss_mb": rss_mb,
        "pickle_step_ms": pickle,
        "startup_s": round(startup, 3),
        "inline_answer_ms": round(inline, 3),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| measure | value | target |",
        "|---|---|---|",
        f"| conversation updates/s (process_update, SQLite) | {result['updates_per_s']:,} | "
        f"≥ ½ of echo |",
        f"| bare PTB echo bot updates/s | {result['bare_echo_updates_per_s']:,} | |",
        f"| bot ÷ echo | {result['ratio_to_echo']:.2f} | ≥ 0.50 |",
        f"| bot through its dispatcher (people concurrently) updates/s | "
        f"{result['dispatched_updates_per_s']:,} | |",
        f"| … ÷ echo | {result['dispatched_ratio_to_echo']:.2f} | |",
    ]
    for count, ms in result["step_ms"].items():
        warm = result["warm_step_ms"][count]
        lines.append(
            f"| durable step at {int(count):,} sessions: cold / next step | "
            f"{ms:.3f} / {warm:.3f} ms | {'≤ 0.3 ms' if count == '1000000' else ''} |"
        )
    for count, mb in result["rss_mb"].items():
        lines.append(f"| RSS at {int(count):,} sessions | {mb:.1f} MB | |")
    growth = result["rss_mb"]["1000000"] - result["rss_mb"]["1000"]
    lines.append(f"| RSS growth 1k → 1M | {growth:+.1f} MB | ≤ 20 MB |")
    for users, ms in result["pickle_step_ms"].items():
        lines.append(f"| PicklePersistence save, {int(users):,} users | {ms:.1f} ms | |")
    lines.append(f"| start-up to first getUpdates | {result['startup_s']:.2f} s | |")
    lines.append(f"| inline query answered | {result['inline_answer_ms']:.2f} ms | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller runs, under a minute")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = measure(args.quick, log)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
