"""Gettext catalogs from ``locales/`` and a translator that escapes what it interpolates.

Catalogs are kept as ``.po`` sources only and compiled in memory at start-up (a few
milliseconds), so a compiled ``.mo`` can never drift from its source.

Sentences are English source text with a context, translated with ``pgettext`` and
``npgettext``; placeholders are named (``%(name)s``). Translations may contain Telegram HTML;
every interpolated value is HTML-escaped unless it is :class:`Html` already.
"""

from __future__ import annotations

import gettext
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.resources import resource_path

DOMAIN = "messages"
DEFAULT_LANGUAGE = "ru"


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


def escape(value: object) -> Html:
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=False))


def _escaped(values: Mapping[str, object]) -> dict[str, Html]:
    return {key: escape(value) for key, value in values.items()}


@dataclass(frozen=True, slots=True)
class Translator:
    """Translates into one language. Method names are the gettext keywords babel extracts."""

    language: str
    _translations: gettext.NullTranslations

    def pgettext(self, context: str, message: str, **values: object) -> Html:
        text = self._translations.pgettext(context, message)
        return Html(text % _escaped(values)) if values else Html(text)

    def npgettext(self, context: str, singular: str, plural: str, n: int, **values: object) -> Html:
        text = self._translations.npgettext(context, singular, plural, n)
        return Html(text % _escaped({"n": n, **values}))

    def pgettext_plain(self, context: str, message: str, **values: object) -> str:
        """For plain-text fields (button labels, inline titles): nothing is escaped.

        Extracted with ``-k pgettext_plain:1c,2`` (see ``babel.cfg``).
        """
        text = self._translations.pgettext(context, message)
        return text % values if values else text

    def raw(self, context: str, message: str) -> str:
        """The translation of a data sentence (from the guide), not yet escaped."""
        return self._translations.pgettext(context, message)


def load_catalog(po_path: Path, language: str) -> gettext.NullTranslations:
    """Compile one ``.po`` file in memory. Fuzzy entries are left out, as msgfmt does."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Catalogs:
    """Every catalog under ``locales/``, loaded once."""

    def __init__(self, translations: Mapping[str, gettext.NullTranslations]) -> None:
        if DEFAULT_LANGUAGE not in translations:
            raise ValueError(f"the {DEFAULT_LANGUAGE!r} catalog is required")
        self._translators = {lang: Translator(lang, trans) for lang, trans in translations.items()}

    @classmethod
    def load(cls, locales_dir: Path | None = None) -> Catalogs:
        locales_dir = locales_dir or resource_path("locales")
        found = {
            po.parent.parent.name: load_catalog(po, po.parent.parent.name)
            for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
        }
        return cls(found)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._translators)

    def pick(self, language_code: str | None) -> str:
        """The catalog for a Telegram ``language_code`` ("en-US" → "en"), else Russian."""
        if language_code:
            primary = language_code.replace("_", "-").split("-")[0].lower()
            if primary in self._translators:
                return primary
        return DEFAULT_LANGUAGE

    def translator(self, language: str) -> Translator:
        return self._translators.get(language) or self._translators[DEFAULT_LANGUAGE]
