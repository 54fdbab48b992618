"""The complaint (box, route, evidence, addresses), the payment advice and the ready English texts.

A family of :class:`bot.render.Renderer`'s screens: the text it owns lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from babel.dates import format_date

from bot.flow import (
    DEADLINE_END,
    DEADLINE_KIND,
    HINT,
    ORDER,
    PROTECTION,
    TEXT_FOR,
    Route,
    Session,
)
from bot.guide import BOX_CONTEXT, GUIDE_CONTEXT, READY_TEXT_CONTEXT
from bot.i18n import Html, Translator, escape
from bot.screens.base import Screens, bullets, folded, join_lines, numbered


class ComplaintScreens(Screens):
    def _answer(self, session: Session, tr: Translator) -> Html:
        """The complaint: what to do now first (the box, where to click today, the warning
        that matters); the guide's route, the evidence, the addresses and what comes next
        one tap away, folded."""
        g = self.guide
        assert session.problem is not None
        problem = g.problem(session.problem)
        box = problem.box
        local_label = tr.raw(BOX_CONTEXT, box.form_label)
        if local_label == box.form_label:
            tick = tr.pgettext("answer", "Tick the box <b>%(label)s</b>.", label=box.form_label)
        else:
            tick = tr.pgettext(
                "answer",
                "Tick the box <b>%(label)s</b> (on the English form: <b>%(form_label)s</b>).",
                label=local_label,
                form_label=box.form_label,
            )
        warning = Html("⚠️ " + self._now(tr, g.fact("complaint_no_money")))
        if session.route in (Route.PLAN_B, Route.ANYWAY):
            warning = join_lines(
                warning,
                tr.pgettext("answer", "If you have not opened the dispute yet, start with it."),
            )
        elif session.route is None:  # an inline card: nothing is known about the order
            warning = join_lines(
                warning,
                tr.pgettext(
                    "answer",
                    "If buyer protection is still running, or the order completed less than "
                    "15 days ago, start with a dispute.",
                ),
            )
        addresses = [
            tr.pgettext(
                "answer",
                "%(email)s: %(who)s",
                email=a.email,
                who=self._say(tr, a.who),
            )
            for a in g.addresses
        ]
        now = join_lines(
            f"<b>{escape(tr.raw(GUIDE_CONTEXT, problem.title))}</b>",
            warning,
            "",
            f"• {self._now(tr, *g.today_steps)}",
            f"• {tick}",
            f"   {self._now(tr, box.today)}" if box.today else None,
        )
        later = join_lines(
            tr.pgettext("answer", "<b>How to complain, as the guide says:</b>"),
            numbered(
                [
                    *(self._say(tr, s) for s in g.seed_steps),
                    tick,
                    tr.pgettext("answer", "Describe what happened and attach the evidence."),
                ]
            ),
            "",
            tr.pgettext("answer", "<b>What to gather:</b>"),
            bullets([self._say(tr, s) for s in problem.evidence]),
            "",
            tr.pgettext("answer", "<b>Whom to write to:</b>"),
            bullets(
                [
                    self._now(tr, g.fact("support_chat")),
                    self._say(tr, g.fact("addresses_unconfirmed")),
                ]
            ),
            "\n".join(f"   {a}" for a in addresses),
            "",
            tr.pgettext("answer", "<b>If nothing happens:</b>"),
            bullets(
                [
                    tr.pgettext(
                        "answer", "Write to the support chat again, with the order number."
                    ),
                    self._now(tr, g.fact("dispute_window")),
                ]
            ),
            "",
            self._now(tr, g.fact("pay_outside")),
            self._now(tr, g.fact("aliexpress_ru")),
        )
        return folded(now, later, tr)

    def _unpaid(self, tr: Translator) -> Html:
        """Money charged, the order unpaid: the payment check, not a dispute or a complaint."""
        g = self.guide
        box = g.box("payment")
        now = join_lines(
            tr.pgettext("unpaid", "<b>The money was taken, but the order shows as unpaid</b>"),
            "",
            bullets(
                [
                    self._now(tr, g.fact("payment_check")),
                    self._now(tr, g.fact("pay_once")),
                    self._now(tr, g.fact("payment_still")),
                ]
            ),
        )
        later = join_lines(
            self._now(tr, g.fact("refund_time")),
            "",
            tr.pgettext(
                "unpaid",
                "The guide names the complaint box <b>%(label)s</b> (%(form_label)s) for this "
                "case.",
                label=tr.raw(BOX_CONTEXT, box.form_label),
                form_label=box.form_label,
            ),
            self._now(tr, g.fact("payment_box_seller")),
        )
        return folded(now, later, tr)

    def _ready_text(self, session: Session | None, tr: Translator) -> Html:
        """A short polite English text to paste, in a block that copies with a tap, and
        its translation underneath."""
        assert session is not None
        g, answers = self.guide, session.answers
        templates = g.ready_text
        problem_id = session.problem or answers.get(HINT)
        problem = g.problem(problem_id) if problem_id and g.has_problem(problem_id) else None
        purpose = "dispute" if answers.get(TEXT_FOR) == "dispute" else "complaint"
        end = answers.get(DEADLINE_END)
        show_end = purpose == "dispute" and end and answers.get(DEADLINE_KIND) == PROTECTION

        def compose(local: Callable[[str], str], language: str) -> str:
            order = answers.get(ORDER) or local(templates["order_blank"])
            statement = local(problem.statement if problem else templates["statement_blank"])
            text = local(templates[purpose]) % {"order": order, "statement": statement}
            if show_end:
                when = format_date(date.fromisoformat(str(end)), format="long", locale=language)
                text += " " + local(templates["protection_end"]) % {"date": when}
            return text

        english = compose(lambda s: s, "en")
        translated = compose(lambda s: tr.raw(READY_TEXT_CONTEXT, s), tr.language)
        lines = [
            tr.pgettext("ready-text", "<b>A ready text for the form</b> (tap it to copy):")
            if purpose == "complaint"
            else tr.pgettext("ready-text", "<b>A ready text for the dispute</b> (tap it to copy):"),
            f"<pre>{escape(english)}</pre>",
        ]
        if translated != english:
            lines += [
                tr.pgettext("ready-text", "<b>Translation:</b>"),
                f"<i>{escape(translated)}</i>",
            ]
        if not answers.get(ORDER):
            lines += [
                "",
                tr.pgettext("ready-text", "Send me the order number, and I will put it in."),
            ]
        return join_lines(*lines)
