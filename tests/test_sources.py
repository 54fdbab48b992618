"""Every statement about AliExpress names its sources, and says no more than they do."""

from __future__ import annotations

import copy
import html
import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.flow import (
    DEADLINE_END,
    DEADLINE_KIND,
    SOURCES_FROM,
    Route,
    Screen,
    ScreenKind,
    Session,
    Step,
)
from bot.guide import GUIDE_CONTEXT, SEED, Guide, GuideError, Statement, parse_guide
from bot.i18n import Catalogs
from bot.render import Renderer
from bot.resources import resource_path


def understanding() -> dict[str, Any]:
    with (resource_path("data") / "understanding.toml").open("rb") as fh:
        return tomllib.load(fh)


LOCALES = Path(__file__).resolve().parent.parent / "locales"
_NUMBER = re.compile(r"\d+")
#: How a statement that only one non-official page makes says so.
HEDGES = {
    "en": ("one source", "reportedly", "according to", "may "),
    "ru": ("по данным одного источника", "по сообщениям", "возможно", "может быть"),
}


def numbers(text: str) -> Counter[str]:
    return Counter(_NUMBER.findall(text))


def catalog(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    with (resource_path("data") / "guide.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_every_statement_names_sources_that_exist(guide: Guide) -> None:
    statements = list(guide.statements())
    assert len(statements) > 40  # the walk really reaches the whole guide
    for statement in statements:
        assert statement.sources, statement.text
        for source in statement.sources:
            assert source in guide.sources, (source, statement.text)


def test_a_statement_without_a_source_is_refused(raw: dict[str, Any], guide: Guide) -> None:
    for edit in (
        lambda r: r["facts"]["dispute_window"].pop("sources"),
        lambda r: r["dispute"]["steps"][0].update(sources=[]),
        lambda r: r["problems"][0]["evidence"].__setitem__(0, "A bare sentence."),
    ):
        broken = copy.deepcopy(raw)
        edit(broken)
        with pytest.raises(GuideError, match=r"source|statement"):
            parse_guide(broken, guide.sources, understanding())


def test_a_statement_naming_an_unknown_source_is_refused(raw: dict[str, Any], guide: Guide) -> None:
    broken = copy.deepcopy(raw)
    broken["facts"]["pay_once"]["sources"] = ["S13", "S999"]
    with pytest.raises(GuideError, match="S999"):
        parse_guide(broken, guide.sources, understanding())


def test_every_source_is_used_and_has_a_quote_and_a_link(guide: Guide) -> None:
    used = {s for statement in guide.statements() for s in statement.sources}
    assert set(guide.sources) == used
    for source in guide.sources.values():
        assert source.url.startswith(("https://", "http://")), source.id
        assert all(quote.strip() for quote in source.says), source.id
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source.checked), source.id


def test_every_number_a_statement_gives_is_in_its_sources(guide: Guide) -> None:
    """«15 days», «3–20 working days», «60, 90, 120»: each number is quoted from a source."""
    missing = []
    for statement in guide.statements():
        quoted: Counter[str] = Counter()
        for source in statement.sources:
            for quote in guide.sources[source].says:
                quoted |= numbers(quote)
        missing += [(n, statement.text) for n in numbers(statement.text) if n not in quoted]
    assert not missing


@pytest.mark.parametrize("language", ["ru", "en"])
def test_translations_keep_every_number(language: str) -> None:
    """An English sentence and its translation name the same numbers (no «75» for «60»)."""
    wrong = []
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if numbers(string) != numbers(ids[0]):
                wrong.append((ids[0], string))
    assert not wrong


def single_sourced(guide: Guide) -> list[Statement]:
    """Statements only one page makes that is neither the seed nor AliExpress's own."""
    return [
        s
        for s in guide.statements()
        if len(s.sources) == 1 and s.sources[0] != SEED and not guide.sources[s.sources[0]].official
    ]


def test_a_statement_one_page_makes_is_worded_as_such(guide: Guide, catalogs: Catalogs) -> None:
    statements = single_sourced(guide)
    assert len(statements) >= 3  # the check has something to check
    for language, hedges in HEDGES.items():
        tr = catalogs.translator(language)
        for statement in statements:
            text = tr.raw(GUIDE_CONTEXT, statement.text).lower()
            assert any(h in text for h in hedges), (language, statement.text)


def test_nothing_names_75_days_only_one_dispute_or_the_fastest_channel() -> None:
    banned = re.compile(
        r"\b75\b|only one dispute|fastest|быстрее всего|только один спор|один спор на", re.I
    )
    texts = [(LOCALES / "messages.pot").read_text()]
    texts += [(LOCALES / lang / "LC_MESSAGES" / "messages.po").read_text() for lang in HEDGES]
    texts.append((resource_path("data") / "guide.toml").read_text())
    for text in texts:
        assert not banned.search(text), banned.search(text)


def session(step: Step, **answers: str) -> Session:
    return Session(
        chat_id=1,
        user_id=1,
        step=step,
        language="ru",
        created_at=0.0,
        updated_at=1_764_800_000.0,
        answers=answers,
        route=Route.PLAN_B,
        problem="not_arrived",
        box="not_received",
    )


def listed(renderer: Renderer, catalogs: Catalogs, s: Session) -> set[str]:
    """The links the sources screen shows for ``s``."""
    screen = Screen(ScreenKind.SOURCES, s.step)
    text = renderer.view(screen, s, catalogs.translator("ru")).text
    return {html.unescape(link) for link in re.findall(r'href="([^"]+)"', text)}


def url(guide: Guide, source: str) -> str:
    return guide.sources[source].url


def test_the_sources_screen_lists_what_is_behind_the_screen_it_came_from(
    renderer: Renderer, catalogs: Catalogs, guide: Guide
) -> None:
    dispute = listed(renderer, catalogs, session(Step.SOURCES, **{SOURCES_FROM: "dispute"}))
    unpaid = listed(renderer, catalogs, session(Step.SOURCES, **{SOURCES_FROM: "unpaid"}))
    answer = listed(renderer, catalogs, session(Step.SOURCES, **{SOURCES_FROM: "answer"}))
    assert url(guide, "S1") in dispute  # the 15 days after completion
    assert url(guide, "S12") not in dispute  # the payment check is not on that screen
    assert {url(guide, "S12"), url(guide, "S14")} <= unpaid
    assert url(guide, "S1") not in unpaid
    assert {url(guide, SEED), url(guide, "S4"), url(guide, "S15")} <= answer
    assert len(dispute) <= 24  # one short message
    # No advice on screen: the guide and the official pages, and the way to the rest.
    outside = listed(renderer, catalogs, session(Step.CONFIRMED))
    assert outside == {s.url for s in guide.sources.values() if s.official or s.id == SEED}


def test_the_sources_of_dated_advice_are_found_too(
    renderer: Renderer, catalogs: Catalogs, guide: Guide
) -> None:
    deadline = session(
        Step.SOURCES,
        **{SOURCES_FROM: "deadline_set", DEADLINE_KIND: "protection", DEADLINE_END: "2026-12-30"},
    )
    assert {url(guide, "S7"), url(guide, "S8")} <= listed(renderer, catalogs, deadline)
