"""Webhook mode end to end: the real bot serves HTTP, the fake Bot API plays Telegram."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Secret
from bot.webhook import SECRET_HEADER, run_webhook
from tests.fake_telegram import FakeTelegram
from tests.harness import Bot, Person, serving

PUBLIC_URL = "https://bot.example.test/telegram/hook"
SECRET = "s3cret-Token_for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class WebhookBot(Bot):
    """The real application in webhook mode, and Telegram's side of the webhook."""

    def __init__(self, fake: FakeTelegram, db: Path) -> None:
        super().__init__(fake, db)
        self.settings = replace(
            self.settings,
            webhook_url=PUBLIC_URL,
            webhook_secret=Secret(SECRET),
            port=free_port(),
        )
        self.local_url = f"http://127.0.0.1:{self.settings.port}/telegram/hook"

    async def start(self) -> None:
        self.app = application = build_application(self.settings)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(
            run_webhook(application, self.settings, ALLOWED_UPDATES, self._stop)
        )
        fake = self.fake
        registered = len(fake.calls_of("setWebhook"))
        # Ready once the webhook is registered: the server is listening by then.
        await fake.wait_for(
            lambda: len(fake.calls_of("setWebhook")) > registered or self._task_failed()
        )

    async def post(self, body: Any, secret: str | None, url: str | None = None) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with (
            aiohttp.ClientSession() as http,
            http.post(url or self.local_url, data=json.dumps(body), headers=headers) as resp,
        ):
            return resp.status, await resp.text()

    async def deliver(self) -> list[int]:
        """Post the queued updates as Telegram does; those answered 200 leave the queue."""
        statuses = []
        for update in list(self.fake._pending):
            status, _ = await self.post(update, self.fake.webhook["secret_token"])
            statuses.append(status)
            if status == 200:
                self.fake._pending.remove(update)
        await self.fake.wait_processed()
        return statuses


@pytest.fixture
async def hook(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[WebhookBot]:
    async with serving(WebhookBot(fake, tmp_path / "bot.sqlite3")) as runner:
        yield runner


async def test_start_registers_the_webhook_with_its_secret(
    hook: WebhookBot, fake: FakeTelegram
) -> None:
    assert fake.webhook == {"url": PUBLIC_URL, "secret_token": SECRET}
    assert set(fake.allowed_updates or []) == set(ALLOWED_UPDATES)
    (call,) = fake.calls_of("setWebhook")
    assert not call.params.get("drop_pending_updates")  # nothing waiting is thrown away
    assert not fake.calls_of("getUpdates")  # no polling in webhook mode


async def test_a_conversation_over_the_webhook(
    hook: WebhookBot, fake: FakeTelegram, anya: Person
) -> None:
    fake.send_command(anya.user, "/complaint")
    assert await hook.deliver() == [200]
    assert "подтвердили получение" in anya.last.text
    fake.press_button(anya.user, anya.last, "Нет")
    assert await hook.deliver() == [200]
    assert "Защита покупателя" in anya.last.text


async def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(
    hook: WebhookBot, fake: FakeTelegram, anya: Person
) -> None:
    fake.send_command(anya.user, "/complaint")
    (update,) = fake._pending
    for secret in (None, "", "wrong", SECRET + "x", SECRET[:-1]):
        status, _ = await hook.post(update, secret)
        assert status == 403, secret
    await asyncio.sleep(0.1)
    assert not fake.calls_of("sendMessage")
    assert await hook.deliver() == [200]  # Telegram's own delivery still gets through
    assert len(fake.calls_of("sendMessage")) == 1


async def test_odd_headers_are_refused_not_a_server_error(
    hook: WebhookBot, fake: FakeTelegram, anya: Person
) -> None:
    fake.send_command(anya.user, "/complaint")
    (update,) = fake._pending
    body = json.dumps(update).encode()
    async with aiohttp.ClientSession() as http:
        # A secret header that is not even UTF-8: refused like any wrong secret.
        async with http.post(
            hook.local_url,
            data=body,
            headers={SECRET_HEADER: "é".encode("latin-1").decode("latin-1") + SECRET},
        ) as resp:
            assert resp.status == 403
        # A charset nobody knows: the body is read as JSON bytes all the same.
        async with http.post(
            hook.local_url,
            data=body,
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json; charset=nosuch"},
        ) as resp:
            assert resp.status == 200
    fake._pending.clear()
    await fake.wait_processed()
    assert "подтвердили получение" in anya.last.text


async def test_junk_and_other_paths_are_refused(hook: WebhookBot, fake: FakeTelegram) -> None:
    for body in ("not an update", [1, 2], {"message": {}}, {"update_id": "7"}):
        status, _ = await hook.post(body, SECRET)
        assert status == 400, body
    status, _ = await hook.post({"update_id": 1}, SECRET, url=hook.local_url + "/other")
    assert status == 404
    assert not fake.calls_of("sendMessage")


async def test_the_same_update_delivered_twice_is_handled_once(
    hook: WebhookBot, fake: FakeTelegram, anya: Person
) -> None:
    await anya_starts(hook, fake, anya)
    fake.press_button(anya.user, anya.last, "Нет")
    (press,) = fake._pending
    # Telegram retries when it thinks a delivery failed: both copies arrive at once.
    first, second = await asyncio.gather(hook.post(press, SECRET), hook.post(press, SECRET))
    assert first[0] == second[0] == 200
    fake._pending.clear()
    await fake.wait_processed()
    assert len(fake.calls_of("answerCallbackQuery")) == 1
    assert len(fake.calls_of("editMessageText")) == 1
    assert "Защита покупателя" in anya.last.text


async def test_an_update_delivered_again_after_it_was_handled_is_not_handled_again(
    hook: WebhookBot, fake: FakeTelegram, anya: Person
) -> None:
    await anya_starts(hook, fake, anya)
    fake.press_button(anya.user, anya.last, "Нет")
    (press,) = fake._pending
    assert await hook.deliver() == [200]
    # Telegram did not see the 200 (a timeout on its side) and sends the update again.
    status, _ = await hook.post(press, SECRET)
    assert status == 200
    await fake.wait_processed()
    assert len(fake.calls_of("answerCallbackQuery")) == 1
    assert len(fake.calls_of("editMessageText")) == 1


async def test_people_talking_at_once_over_the_webhook_all_get_their_answers(
    hook: WebhookBot, fake: FakeTelegram
) -> None:
    people = [Person(fake, user_id=7000 + i, name=f"П{i}") for i in range(20)]
    for person in people:
        fake.send_command(person.user, "/complaint")
    updates = list(fake._pending)
    results = await asyncio.gather(*(hook.post(u, SECRET) for u in updates))
    assert [status for status, _ in results] == [200] * len(people)
    fake._pending.clear()
    await fake.wait_processed()
    for person in people:
        assert "подтвердили получение" in person.last.text


async def anya_starts(hook: WebhookBot, fake: FakeTelegram, anya: Person) -> None:
    fake.send_command(anya.user, "/complaint")
    assert await hook.deliver() == [200]


async def test_a_stopped_bot_keeps_the_webhook_and_a_restart_continues(
    fake: FakeTelegram, tmp_path: Path, anya: Person
) -> None:
    db = tmp_path / "bot.sqlite3"
    first = WebhookBot(fake, db)
    await first.start()
    await anya_starts(first, fake, anya)
    await first.stop()
    assert fake.webhook["url"] == PUBLIC_URL  # Telegram keeps updates while we are away
    assert not fake.calls_of("deleteWebhook")

    second = WebhookBot(fake, db)
    await second.start()
    try:
        fake.press_button(anya.user, anya.last, "Нет")
        assert await second.deliver() == [200]
        assert "Защита покупателя" in anya.last.text
    finally:
        await second.stop()
    fake.assert_clean()
