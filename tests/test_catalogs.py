"""The catalogs: every sentence in the code and the guide is translated, cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import Catalogs
from tests.fake_telegram import parse_html

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"


def extracted() -> set[tuple[str | None, str]]:
    """What `pybabel extract -F babel.cfg` finds in the sources right now."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    keywords = {**DEFAULT_KEYWORDS, "pgettext_plain": ((1, "c"), 2)}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.add((context, msgid))
    return found


def catalog(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


def template() -> Catalog:
    with (LOCALES / "messages.pot").open("rb") as fh:
        return read_po(fh)


def entries(cat: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in cat if m.id}


def test_template_is_up_to_date_with_the_sources() -> None:
    assert entries(template()) == extracted(), (
        "locales/messages.pot is stale: run the extract and update commands in babel.cfg"
    )


LANGUAGES = sorted(p.name for p in LOCALES.iterdir() if (p / "LC_MESSAGES").is_dir())


def test_russian_is_there() -> None:
    assert "ru" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_not_fuzzy_and_placeholders_match(language: str) -> None:
    cat = catalog(language)
    assert entries(cat) == entries(template()), f"{language}: run the update command in babel.cfg"
    problems = []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        for error in message.check(cat):
            problems.append(f"{message.id!r}: {error}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_is_telegram_html(language: str) -> None:
    for message in catalog(language):
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for string in strings:
                parse_html(string)  # raises on what Telegram would reject


def test_loader_picks_russian_for_unknown_languages() -> None:
    catalogs = Catalogs.load()
    assert catalogs.pick(None) == "ru"
    assert catalogs.pick("ru-RU") == "ru"
    assert catalogs.pick("uk") == "ru"
    tr = catalogs.translator("ru")
    assert tr.pgettext("button", "Yes") == "Да"
