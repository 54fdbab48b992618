"""Ordered concurrency: different people at once, one person's updates in order, none twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Secret, Settings
from bot.dispatch import Dispatcher
from bot.inbox import Inbox
from bot.polling import Poller
from bot.storage import SessionStore
from bot.tracing import note_step
from tests.fake_telegram import FakeTelegram

FROM_ANYA = 1001
FROM_BORIS = 1002


def message(update_id: int, user_id: int, text: str = "привет") -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "X"},
                "text": text,
            },
        },
        None,
    )


class Recorder:
    """A process_update that records and can be held up for chosen update ids."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[int] = []
        self.gates: dict[int, asyncio.Event] = {}

    def hold(self, update_id: int) -> asyncio.Event:
        gate = self.gates[update_id] = asyncio.Event()
        return gate

    async def __call__(self, update: object) -> None:
        assert isinstance(update, Update)
        self.started.append(update.update_id)
        gate = self.gates.get(update.update_id)
        if gate is not None:
            await gate.wait()
        self.finished.append(update.update_id)


def text_from(fake: FakeTelegram, user: dict[str, Any], text: str) -> int:
    """Queue a private message; its update id."""
    fake.send_text(user, text)
    update_id: int = fake.updates[-1]["update_id"]
    return update_id


async def test_other_people_are_not_held_up_by_a_slow_one() -> None:
    recorder = Recorder()
    gate = recorder.hold(1)
    dispatcher = Dispatcher(recorder)
    dispatcher.submit(message(1, FROM_ANYA))
    boris = dispatcher.submit(message(2, FROM_BORIS))
    await asyncio.wait_for(boris, 5)
    assert recorder.finished == [2]
    assert dispatcher.pending == 1
    gate.set()
    await dispatcher.close()
    assert recorder.finished == [2, 1]
    assert dispatcher.pending == 0


async def test_one_persons_updates_are_handled_strictly_in_order() -> None:
    recorder = Recorder()
    gate = recorder.hold(1)
    dispatcher = Dispatcher(recorder)
    for update_id in range(1, 6):
        dispatcher.submit(message(update_id, FROM_ANYA))
    await asyncio.sleep(0.05)
    assert recorder.started == [1]  # the others wait their turn, none overtakes
    gate.set()
    await dispatcher.close()
    assert recorder.started == recorder.finished == [1, 2, 3, 4, 5]


async def test_an_update_submitted_twice_is_handled_once() -> None:
    recorder = Recorder()
    gate = recorder.hold(7)
    dispatcher = Dispatcher(recorder)
    first = dispatcher.submit(message(7, FROM_ANYA))
    again = dispatcher.submit(message(7, FROM_ANYA))
    assert again is first
    gate.set()
    await dispatcher.close()
    assert recorder.finished == [7]


async def test_a_failing_update_does_not_stop_the_persons_queue(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[int] = []

    async def process(update: object) -> None:
        assert isinstance(update, Update)
        if update.update_id == 1:
            raise RuntimeError("boom")
        handled.append(update.update_id)

    dispatcher = Dispatcher(process)
    dispatcher.submit(message(1, FROM_ANYA))
    dispatcher.submit(message(2, FROM_ANYA))
    with caplog.at_level(logging.ERROR, logger="bot.dispatch"):
        await dispatcher.close()
    assert handled == [2]
    assert "update 1 could not be handled" in caplog.text


async def test_one_log_line_per_update_with_kind_step_change_and_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def process(update: object) -> None:
        note_step("press", "confirmed", "protection")

    dispatcher = Dispatcher(process)
    dispatcher.submit(message(41, FROM_ANYA))
    with caplog.at_level(logging.INFO, logger="bot.dispatch"):
        await dispatcher.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.dispatch"]
    assert len(lines) == 1
    assert lines[0].startswith("update 41 message press, step confirmed → protection in ")
    assert lines[0].endswith(" ms")


# ---- the poller over the fake Bot API --------------------------------------------------------


@dataclass
class Polling:
    """A real Poller over the fake Bot API and a real inbox, with a recording process_update."""

    poller: Poller
    recorder: Recorder
    store: SessionStore
    stop: asyncio.Event

    def run(self) -> asyncio.Task[None]:
        return asyncio.create_task(self.poller.run())

    async def run_until(
        self,
        fake: FakeTelegram,
        done: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Poll until ``done()``, then stop and let the poller finish."""
        task = self.run()
        try:
            await fake.wait_for(done, timeout=timeout)
        finally:
            self.stop.set()
            await task

    async def inbox_ids(self) -> list[int]:
        await self.poller.intake.inbox.close()
        return [update_id for update_id, _ in await self.store.inbox()]


@pytest.fixture
async def polling(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Polling]:
    settings = Settings(
        token=Secret(fake.token), api_base_url=fake.base_url, database_path=tmp_path / "db"
    )
    application = build_application(settings)
    recorder = Recorder()
    await application.initialize()
    monkeypatch.setattr(application, "process_update", recorder)
    store = await SessionStore.open(tmp_path / "db")
    stop = asyncio.Event()
    poller = Poller(application, Inbox(store, application.bot), ALLOWED_UPDATES, stop, 1)
    yield Polling(poller, recorder, store, stop)
    await store.close()
    await application.shutdown()


async def test_a_slow_update_holds_up_nobody_else_however_many_come_after_it(
    fake: FakeTelegram, polling: Polling
) -> None:
    recorder = polling.recorder
    anya = fake.make_user(FROM_ANYA)
    slow = text_from(fake, anya, "первое")
    gate = recorder.hold(slow)
    task = polling.run()
    try:
        await fake.wait_for(lambda: recorder.started == [slow])
        after_anya = text_from(fake, anya, "второе")
        # More than one getUpdates batch (100) of other people behind the slow one.
        others = [text_from(fake, fake.make_user(5000 + i), "привет") for i in range(150)]
        await fake.wait_for(lambda: set(others) <= set(recorder.finished))

        assert after_anya not in recorder.started  # Аня's second waits for her first
        # Telegram has been told about everything: it is all in the inbox, on disk …
        assert fake.confirmed_offset == others[-1] + 1
        # … where what is not handled yet stays.
        assert await polling.inbox_ids() == [slow, after_anya]

        polls_before = len(fake.calls_of("getUpdates"))
        await asyncio.sleep(1.0)
        assert len(fake.calls_of("getUpdates")) - polls_before <= 2  # a long poll, no spinning

        gate.set()
        await fake.wait_for(lambda: after_anya in recorder.finished)
    finally:
        polling.stop.set()
        await task
    assert recorder.finished[-2:] == [slow, after_anya]
    assert sorted(recorder.started) == sorted([slow, after_anya, *others])  # each once
    assert await polling.inbox_ids() == []


async def test_stopping_finishes_what_was_accepted_before_confirming(
    fake: FakeTelegram, polling: Polling
) -> None:
    recorder = polling.recorder
    slow = text_from(fake, fake.make_user(FROM_ANYA), "первое")
    gate = recorder.hold(slow)
    task = polling.run()
    await fake.wait_for(lambda: recorder.started == [slow])
    polling.stop.set()
    await asyncio.sleep(0.1)
    assert not task.done()  # still finishing Аня's update
    gate.set()
    await asyncio.wait_for(task, 5)
    assert recorder.finished == [slow]
    assert fake.confirmed_offset == slow + 1
    assert await polling.inbox_ids() == []


async def test_an_update_is_pending_until_its_handling_is_over_not_until_its_reply(
    fake: FakeTelegram, polling: Polling
) -> None:
    recorder, inbox = polling.recorder, polling.poller.intake.inbox
    update_id = text_from(fake, fake.make_user(FROM_ANYA), "нет")
    gate = recorder.hold(update_id)
    task = polling.run()
    try:
        await fake.wait_for(lambda: recorder.started == [update_id])
        assert inbox.pending == 1
        inbox.done(update_id)  # its reply is out: the inbox lets it go …
        await inbox.close()
        assert await polling.inbox_ids() == []
        assert inbox.pending == 1  # … while the bot still tidies up after it
        gate.set()
        await fake.wait_for(lambda: recorder.finished == [update_id])
        assert inbox.pending == 0
    finally:
        gate.set()
        polling.stop.set()
        await task


async def test_updates_left_in_the_inbox_by_a_crash_are_handled_first(
    fake: FakeTelegram, polling: Polling
) -> None:
    left = message(41, FROM_ANYA, "до сбоя")
    await polling.store.inbox_add([(41, left.to_json())], 0.0)
    new = text_from(fake, fake.make_user(FROM_ANYA), "после")
    await polling.run_until(fake, lambda: len(polling.recorder.finished) == 2)
    assert polling.recorder.finished == [41, new]
    assert await polling.inbox_ids() == []


async def test_garbage_from_get_updates_never_stops_polling(
    fake: FakeTelegram, polling: Polling
) -> None:
    fake.answer_next_raw("getUpdates", 200, "<html>502 Bad Gateway</html>")
    fake.fail_next("getUpdates", 502, "Bad Gateway")
    update_id = text_from(fake, fake.make_user(FROM_ANYA), "привет")
    await polling.run_until(fake, lambda: polling.recorder.finished == [update_id], 15)


async def test_a_cancelled_update_does_not_leave_the_dispatcher_stuck() -> None:
    handled: list[int] = []

    async def process(update: object) -> None:
        assert isinstance(update, Update)
        if update.update_id == 1:
            raise asyncio.CancelledError  # the task running Аня's queue is cancelled

    dispatcher = Dispatcher(process, on_done=handled.append)
    first = dispatcher.submit(message(1, FROM_ANYA))
    second = dispatcher.submit(message(2, FROM_ANYA))
    dispatcher.submit(message(3, FROM_BORIS))
    await asyncio.wait_for(dispatcher.close(), 5)
    assert first.cancelled()
    assert second.cancelled()
    assert dispatcher.pending == 0
    assert handled == [3]  # the two not handled stay in the inbox, for the next start


async def test_an_update_that_cannot_be_read_is_skipped_not_retried_forever(
    fake: FakeTelegram, polling: Polling, caplog: pytest.LogCaptureFixture
) -> None:
    # A message without chat or date: python-telegram-bot cannot build it.
    broken = fake._queue({"message": {"message_id": 1, "text": "?"}})["update_id"]
    good = text_from(fake, fake.make_user(FROM_ANYA), "привет")
    await polling.run_until(fake, lambda: polling.recorder.finished == [good], 15)
    assert f"update {broken} cannot be read" in caplog.text
    assert fake.confirmed_offset == good + 1
