"""``python -m bot``: the bot (long polling, or a webhook when ``WEBHOOK_URL`` is set);
``python -m bot --console``: the bot in a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys

from telegram.error import InvalidToken, NetworkError

from bot.app import ALLOWED_UPDATES, Fatal, build_application
from bot.config import ConfigError, Settings
from bot.console import run_console
from bot.instance import InstanceLock
from bot.logs import setup_logging
from bot.polling import run_polling
from bot.storage import StorageError
from bot.webhook import ListenError, listen_as_standby, run_webhook

log = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM; in-flight updates finish first.

    A webhook when ``WEBHOOK_URL`` is set, long polling otherwise.
    """
    application = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    lock = InstanceLock(settings.database_path)
    if not lock.try_acquire():
        standby = await listen_as_standby(settings)
        try:
            acquired = await lock.acquire(stop)
        finally:
            if standby is not None:
                await standby.cleanup()
        if not acquired:  # stopped while a standby
            log.info("stopped")
            return
    try:
        if settings.webhook_url:
            await run_webhook(application, settings, ALLOWED_UPDATES, stop)
        else:
            await run_polling(application, ALLOWED_UPDATES, stop)
    finally:
        lock.release()
    log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Telegram bot that helps AliExpress buyers complain about a seller.",
    )
    parser.add_argument(
        "--console",
        action="store_true",
        help="talk to the bot in this terminal instead of Telegram (no token needed)",
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(need_token=not args.console)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.secrets)
    try:
        if args.console:
            asyncio.run(run_console(settings))
            return 0
        asyncio.run(serve(settings))
    except InvalidToken:
        print(
            "error: Telegram does not accept TELEGRAM_BOT_TOKEN; check it with @BotFather",
            file=sys.stderr,
        )
        return 2
    except (StorageError, NetworkError) as exc:
        log.error("cannot start: %s", exc)
        return 1
    except sqlite3.DatabaseError as exc:  # found while running: one line, no traceback
        log.error("stopped: the database %s failed: %s", settings.database_path, exc)
        return 1
    except Fatal:  # said in the log already
        return 1
    except ListenError as exc:  # the webhook's port is taken, or not ours to use
        log.error("%s", exc)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
