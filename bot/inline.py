"""Inline mode: answer cards ranked by what the person typed after ``@bot``.

Pure and precomputed: every card of every language is rendered once at start-up, so an
inline query costs a match over the guide's keywords and nothing else (no database).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.flow import START_CARD, Flow
from bot.i18n import Catalogs, Html
from bot.render import Renderer

#: Telegram shows at most 50 results.
MAX_RESULTS = 50
START_CARD_ID = START_CARD


@dataclass(frozen=True, slots=True)
class Card:
    id: str  # unique, at most 64 bytes
    title: str
    description: str
    text: Html


class InlineCards:
    def __init__(self, flow: Flow, renderer: Renderer, catalogs: Catalogs) -> None:
        self._flow = flow
        self._order = [p.id for p in flow.guide.problems]
        self._problems: dict[str, dict[str, Card]] = {}
        self._start: dict[str, Card] = {}
        for language in catalogs.languages:
            tr = catalogs.translator(language)
            self._problems[language] = {
                problem_id: Card(
                    id=f"p.{problem_id}",
                    title=renderer.inline_title(problem_id, tr),
                    description=renderer.inline_description(problem_id, tr),
                    text=renderer.inline_answer(problem_id, tr),
                )
                for problem_id in self._order
            }
            title, description, text = renderer.where_to_start(tr)
            self._start[language] = Card(START_CARD_ID, title, description, text)

    def answer(self, query: str, language: str) -> list[Card]:
        """Cards for ``query``: the problems it describes first, then the rest.

        With nothing typed, the "where to start" card leads; otherwise it comes last.
        """
        cards = self._problems[language]
        ranked = self._flow.rank_problems(query) if query.strip() else []
        rest = [p for p in self._order if p not in ranked]
        problem_cards = [cards[p] for p in (*ranked, *rest)]
        start = self._start[language]
        ordered = [*problem_cards, start] if ranked else [start, *problem_cards]
        return ordered[:MAX_RESULTS]
