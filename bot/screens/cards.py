"""Inline answer cards, and what the bot says in a group.

A family of :class:`bot.render.Renderer`'s screens: the text it owns lives here."""

from __future__ import annotations

from bot.flow import (
    UNPAID_PROBLEM,
    Session,
    Step,
)
from bot.guide import BOX_CONTEXT, GUIDE_CONTEXT
from bot.i18n import Html, Translator
from bot.screens.base import Screens, join_lines


class CardScreens(Screens):
    def inline_answer(self, problem_id: str, tr: Translator) -> Html:
        """The full answer for one problem, for an inline card (nothing known of the order)."""
        if problem_id == UNPAID_PROBLEM:
            return self._unpaid(tr)
        problem = self.guide.problem(problem_id)
        session = Session(
            chat_id=0,
            user_id=0,
            step=Step.ANSWER,
            language=tr.language,
            created_at=0.0,
            updated_at=0.0,
            problem=problem.id,
            box=problem.box.id,
        )
        return self._answer(session, tr)

    def inline_button(self, tr: Translator) -> str:
        """The button under a posted inline answer, opening the private conversation."""
        return tr.pgettext_plain("button", "Step by step in a private chat")

    def inline_title(self, problem_id: str, tr: Translator) -> str:
        return tr.raw(GUIDE_CONTEXT, self.guide.problem(problem_id).title)

    def inline_description(self, problem_id: str, tr: Translator) -> str:
        box = self.guide.problem(problem_id).box
        label = tr.raw(BOX_CONTEXT, box.form_label)
        if label == box.form_label:
            return tr.pgettext_plain("inline", "Tick: %(label)s", label=label)
        return tr.pgettext_plain(
            "inline", "Tick: %(label)s (%(form_label)s)", label=label, form_label=box.form_label
        )

    def where_to_start(self, tr: Translator) -> tuple[str, str, Html]:
        """The "where to start" card: (title, description, text)."""
        title = tr.pgettext_plain("inline", "Where to start: a dispute or a complaint?")
        description = tr.pgettext_plain(
            "inline", "A dispute returns money; a complaint is for when the deal is closed."
        )
        fact = self.guide.fact
        text = join_lines(
            tr.pgettext("inline", "<b>Where to start: a dispute or a complaint?</b>"),
            "",
            f"• {self._say(tr, fact('seed_dispute'))}",
            f"• {self._now(tr, fact('dispute_window'))}",
            f"• {self._say(tr, fact('seed_complaint'))}",
            f"• {self._now(tr, fact('complaint_no_money'))}",
            "",
            tr.pgettext("inline", "Step by step, for your order: in a private chat with the bot."),
        )
        return title, description, text

    def group_intro(self, tr: Translator, bot_username: str) -> Html:
        """What the bot says once when it is added to a group."""
        return join_lines(
            tr.pgettext(
                "group",
                "Hello! I help AliExpress buyers complain about a seller.",
            ),
            tr.pgettext(
                "group",
                "Anyone here can send /complaint@%(bot)s to go through it step by step; "
                "in any chat you can also type @%(bot)s and a few words, "
                "for example: @%(bot)s не пришла посылка",
                bot=bot_username,
            ),
        )
