"""Shared fixtures: the real guide, catalogs, flow and renderer, loaded once."""

from __future__ import annotations

import pytest

from bot.flow import Flow
from bot.guide import Guide, load_guide
from bot.i18n import Catalogs, Translator
from bot.render import Renderer


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
