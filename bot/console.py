"""``python -m bot --console``: the same conversation in a terminal, without Telegram.

Buttons are shown as numbered choices; type a number to press one, or answer in words.
Sessions go to the same SQLite file as the Telegram bot, as user 0 in chat 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from bot.config import Settings
from bot.service import COMMANDS, Content, Conversations, Event, Kind, Reply
from bot.storage import SessionStore

CONSOLE_CHAT_ID = CONSOLE_USER_ID = 0
_TAG = re.compile(r"<[^>]+>")
_COMMANDS = {"/start": Kind.GREET, **{f"/{name}": kind for name, kind in COMMANDS.items()}}
_QUIT = {"/quit", "/exit", "/q"}


def html_to_text(text: str) -> str:
    """Telegram HTML as a terminal shows it: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


class Console:
    def __init__(
        self,
        conversations: Conversations,
        read: Callable[[str], str] = input,
        out: TextIO = sys.stdout,
        language_code: str | None = "ru",
    ) -> None:
        self.conversations = conversations
        self._read = read
        self._out = out
        self.language_code = language_code
        self._buttons: list[str] = []  # callback data of the last keyboard, by number
        self._message_id = 0  # the "message" the last keyboard is on

    async def run(self) -> None:
        current = await self.conversations.current(
            CONSOLE_CHAT_ID, CONSOLE_USER_ID, self.language_code
        )
        if current is not None:
            await self._show(current)
        else:
            await self._show(await self._handle(Kind.GREET))
        while True:
            try:
                line = (await self._read_line("> ")).strip()
            except EOFError:
                break
            if not line:
                continue
            if line.lower() in _QUIT:
                break
            await self._show(await self._dispatch(line))
        self._print("")

    async def _read_line(self, prompt: str) -> str:
        """``input()`` in a daemon thread: Ctrl-C then ends the program at once.

        (``asyncio.to_thread`` would make the interpreter wait for the blocked read.)
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()

        def settle(value: str | None, error: BaseException | None) -> None:
            if done.done():
                return
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(value or "")

        def read() -> None:
            try:
                value, error = self._read(prompt), None
            except BaseException as exc:  # EOFError, mostly: handed to the loop
                value, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, value, error)

        threading.Thread(target=read, daemon=True).start()
        return await done

    async def _dispatch(self, line: str) -> Reply:
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            return await self._handle(Kind.PRESS, self._buttons[int(line) - 1], self._message_id)
        if line.startswith("/"):
            command, _, payload = line.partition(" ")
            kind = _COMMANDS.get(command.lower(), Kind.UNKNOWN_COMMAND)
            if kind is Kind.GREET and payload.strip() == "complaint":
                kind = Kind.BEGIN
            return await self._handle(kind)
        return await self._handle(Kind.SAY, line)

    async def _handle(self, kind: Kind, text: str = "", message_id: int | None = None) -> Reply:
        return await self.conversations.handle(
            Event(
                kind=kind,
                chat_id=CONSOLE_CHAT_ID,
                user_id=CONSOLE_USER_ID,
                language_code=self.language_code,
                text=text,
                message_id=message_id,
            )
        )

    async def _show(self, reply: Reply) -> None:
        if reply.notice:
            self._print(f"({html_to_text(reply.notice)})")
        if reply.view is None:
            return
        self._print("")
        self._print(html_to_text(reply.view.text))
        buttons = [b for row in reply.view.keyboard for b in row if b.data is not None]
        if buttons:
            self._message_id += 1
            self._buttons = [b.data for b in buttons if b.data is not None]
            self._print("")
            for number, button in enumerate(buttons, 1):
                self._print(f"  {number}) {button.label}")
            if reply.session is not None and not reply.menu:
                await self.conversations.remember_message(reply.session, self._message_id)
        # A reply without buttons (help, a hint) leaves the last question's numbers usable.

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)


async def run_console(settings: Settings) -> None:
    content = Content.load()
    store = await SessionStore.open(settings.database_path)
    try:
        conversations = content.conversations(store)
        console = Console(conversations)
        tr = conversations.translator(None, console.language_code)
        print(content.renderer.console_banner(tr), flush=True)
        await console.run()
    finally:
        await store.close()
