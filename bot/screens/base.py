"""What every screen family shares: the views, line helpers, and the way a statement of
the guide is said (as the guide's, or flagged as today's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from babel.dates import format_date, get_date_format

from bot.flow import Screen, Session, Step
from bot.guide import GUIDE_CONTEXT, Guide, Statement
from bot.i18n import Html, Translator, escape


@dataclass(frozen=True, slots=True)
class Button:
    """A callback button (``data``) or a link (``url``)."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class View:
    text: Html
    keyboard: tuple[tuple[Button, ...], ...] = ()


def join_lines(*parts: str | None) -> Html:
    """Join lines; ``None`` parts are left out, ``""`` gives an empty line."""
    return Html("\n".join(p for p in parts if p is not None))


def numbered(items: list[Html]) -> Html:
    return Html("\n".join(f"{i}. {item}" for i, item in enumerate(items, 1)))


def bullets(items: list[Html]) -> Html:
    return Html("\n".join(f"• {item}" for item in items))


def folded(now: Html, later: Html, tr: Translator) -> Html:
    """``now`` as the message shows it; ``later`` in a quotation a tap unfolds (Telegram's
    ``<blockquote expandable>``), so a phone shows what to do first."""
    more = tr.pgettext("answer", "More (tap to unfold):")
    return Html(f"{now}\n\n<i>{more}</i>\n<blockquote expandable>{later}</blockquote>")


class Screens:
    """The base of every screen family: the guide, and how its statements are said."""

    guide: Guide

    if TYPE_CHECKING:  # what one family asks of another (all are in bot.render.Renderer)

        def _text(
            self, screen: Screen, session: Session | None, tr: Translator, group: bool
        ) -> Html: ...
        def _label(
            self, step: Step | None, choice: str, completed: bool, tr: Translator
        ) -> str: ...
        def _answer(self, session: Session, tr: Translator) -> Html: ...
        def _unpaid(self, tr: Translator) -> Html: ...
        def inline_answer(self, problem_id: str, tr: Translator) -> Html: ...
        def inline_title(self, problem_id: str, tr: Translator) -> str: ...
        def where_to_start(self, tr: Translator) -> tuple[str, str, Html]: ...

    @staticmethod
    def _say(tr: Translator, statement: Statement) -> Html:
        """A statement of the guide, in ``tr``'s language."""
        return escape(tr.raw(GUIDE_CONTEXT, statement.text))

    @classmethod
    def _now(cls, tr: Translator, *statements: Statement) -> Html:
        """Statements about what has changed since the seed, flagged as today's."""
        note = Html(" ".join(cls._say(tr, s) for s in statements))
        return tr.pgettext("answer", "<i>Now:</i> %(note)s", note=note)

    @staticmethod
    def _range(start: date, stop: date, tr: Translator) -> Html:
        """«с 18 по 20 декабря»: where a date is written day first, the month and year are
        said once when both days share them."""
        day_first = get_date_format("long", locale=tr.language).pattern.startswith("d")
        if day_first and (start.year, start.month) == (stop.year, stop.month):
            first = format_date(start, format="d", locale=tr.language)
        elif day_first and start.year == stop.year:
            first = format_date(start, format="d MMMM", locale=tr.language)
        else:
            first = format_date(start, format="long", locale=tr.language)
        last = format_date(stop, format="long", locale=tr.language)
        return tr.pgettext("deadline", "from %(start)s to %(stop)s", start=first, stop=last)

    @staticmethod
    def _days_left(left: int, tr: Translator) -> Html:
        if left <= 0:
            return tr.pgettext("deadline", "today is the last day")
        if left == 1:
            return tr.pgettext("deadline", "until tomorrow")
        return tr.npgettext("deadline", "%(n)s day left", "%(n)s days left", left)

    @staticmethod
    def _day(d: date, tr: Translator) -> str:
        return format_date(d, format="long", locale=tr.language)
