"""Shared fixtures: the real content, loaded once, and the end-to-end harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.flow import Flow
from bot.guide import Guide, load_guide
from bot.i18n import Catalogs, Translator
from bot.render import Renderer
from tests.fake_telegram import FakeTelegram
from tests.harness import Bot, Person, serving


@pytest.fixture(scope="session")
def guide() -> Guide:
    return load_guide()


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs.load()


@pytest.fixture(scope="session")
def flow(guide: Guide) -> Flow:
    return Flow(guide)


@pytest.fixture(scope="session")
def renderer(guide: Guide) -> Renderer:
    return Renderer(guide)


@pytest.fixture(scope="session")
def ru(catalogs: Catalogs) -> Translator:
    return catalogs.translator("ru")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[Bot]:
    async with serving(Bot(fake, tmp_path / "bot.sqlite3")) as runner:
        yield runner


@pytest.fixture
def anya(fake: FakeTelegram) -> Person:
    return Person(fake)
