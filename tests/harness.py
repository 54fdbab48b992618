"""The end-to-end harness: the real bot polling a fake Bot API, and people talking to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

from bot.app import ALLOWED_UPDATES, INBOX, AnyApplication, build_application
from bot.config import Secret, Settings
from bot.inbox import Inbox
from bot.polling import run_polling
from tests.fake_telegram import BotMessage, FakeTelegram

JSON = dict[str, Any]


class Bot:
    """The real application, polling the fake as ``python -m bot`` does; can be restarted."""

    def __init__(self, fake: FakeTelegram, db: Path) -> None:
        self.fake = fake
        self.settings = Settings(
            token=Secret(fake.token),
            api_base_url=fake.base_url,
            database_path=db,
            reminder_poll_s=0.1,
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.app: AnyApplication | None = None
        fake.busy_checks.append(self.busy)

    def busy(self) -> bool:
        """Updates accepted from the fake whose handling is not over: waiting out a 429, say,
        or tidying up after a reply that is out already."""
        inbox = self.app.bot_data.get(INBOX) if self.app is not None else None
        return isinstance(inbox, Inbox) and inbox.pending > 0

    async def start(self) -> None:
        self.app = build_application(self.settings)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(
            run_polling(self.app, ALLOWED_UPDATES, self._stop, long_poll_s=1)
        )
        # Ready once the first long poll is waiting.
        fake = self.fake
        await fake.wait_for(lambda: fake.waiting_polls > 0 or self._task_failed())

    def _task_failed(self) -> bool:
        if self._task is not None and self._task.done():
            self._task.result()  # raises what made it stop
        return False

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        await self._task
        self._task = None
        self.app = None


BotT = TypeVar("BotT", bound=Bot)


@contextlib.asynccontextmanager
async def serving(runner: BotT) -> AsyncIterator[BotT]:
    """``runner`` started; afterwards stopped, and the fake checked for any call Telegram
    would have refused and any button press left unanswered."""
    await runner.start()
    yield runner
    await runner.stop()
    runner.fake.assert_clean()


class Person:
    """One Telegram user talking to the bot, in a private chat or in ``chat``."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int = 1001,
        language: str = "ru",
        name: str = "Аня",
        chat: JSON | None = None,
    ) -> None:
        self.fake = fake
        self.user = fake.make_user(user_id, first_name=name, language_code=language)
        self.chat = chat
        self.chat_id = chat["id"] if chat else user_id

    async def command(self, text: str) -> BotMessage:
        self.fake.send_command(self.user, text, self.chat)
        await self.fake.wait_processed()
        return self.last

    async def say(self, text: str) -> BotMessage:
        self.fake.send_text(self.user, text, self.chat)
        await self.fake.wait_processed()
        return self.last

    async def tap(self, label: str, message: BotMessage | None = None) -> BotMessage:
        self.fake.press_button(self.user, message or self.last, label)
        await self.fake.wait_processed()
        return self.last

    @property
    def last(self) -> BotMessage:
        return self.fake.last_bot_message(self.chat_id)

    @property
    def messages(self) -> list[BotMessage]:
        return self.fake.bot_messages(self.chat_id)
