"""The end-to-end harness: the real bot polling a fake Bot API, and people talking to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import ALLOWED_UPDATES, AnyApplication, build_application
from bot.config import Secret, Settings
from tests.fake_telegram import BotMessage, FakeTelegram

JSON = dict[str, Any]


class Bot:
    """The real application, polling the fake; can be stopped and started again."""

    def __init__(self, fake: FakeTelegram, db: Path) -> None:
        self.settings = Settings(
            token=Secret(fake.token), api_base_url=fake.base_url, database_path=db
        )
        self.app: AnyApplication | None = None

    async def start(self) -> None:
        self.app = build_application(self.settings)
        # The same order as Application.run_polling: initialize, post_init, start.
        await self.app.initialize()
        assert self.app.post_init is not None
        await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )

    async def stop(self) -> None:
        if self.app is None:
            return
        assert self.app.updater is not None
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
        assert self.app.post_shutdown is not None
        await self.app.post_shutdown(self.app)
        self.app = None


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
