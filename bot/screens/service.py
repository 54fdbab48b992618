"""Help, the command menu, /stats, the console banner, and the sources behind a screen.

A family of :class:`bot.render.Renderer`'s screens: the text it owns lives here."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date

from bot.flow import (
    ANSWER_STEPS,
    SOURCES,
    SOURCES_FROM,
    START_CARD,
    Screen,
    ScreenKind,
    Session,
    Step,
)
from bot.guide import SEED, Source
from bot.i18n import Html, Translator, escape
from bot.records import Stats
from bot.screens.base import Screens, View, join_lines

#: The sources screen lists this many sources of each statement on screen (its first ones).
CITED_PER_STATEMENT = 2

#: The advice screens, for the sources behind each.
_STEP_SCREENS = {
    Step.DISPUTE: ScreenKind.DISPUTE,
    Step.ANSWER: ScreenKind.ANSWER,
    Step.UNPAID: ScreenKind.UNPAID,
    Step.DEADLINE_SET: ScreenKind.DEADLINE_SET,
}


#: The screens :meth:`ServiceScreens._service` draws.
SERVICE_SCREENS = frozenset(
    {
        ScreenKind.GREETING,
        ScreenKind.HELP,
        ScreenKind.HINT,
        ScreenKind.UNKNOWN_COMMAND,
        ScreenKind.LANGUAGE,
        ScreenKind.LANGUAGE_SET,
        ScreenKind.FORGET,
        ScreenKind.FORGOTTEN,
        ScreenKind.FORGET_KEPT,
        ScreenKind.CANCELLED,
        ScreenKind.NOTHING_TO_CANCEL,
    }
)


class ServiceScreens(Screens):
    def console_banner(self, tr: Translator) -> str:
        return tr.pgettext_plain(
            "console",
            "Console mode: type a number to press a button, or answer in words. "
            "/complaint starts over, /quit exits.",
        )

    def sources_button(self, tr: Translator) -> str:
        """The label of a button that shows the sources of an answer."""
        return self._label(None, SOURCES, False, tr)

    def commands(self, tr: Translator, *, group: bool = False) -> list[tuple[str, str]]:
        """The command menu: (command, description); groups get no /start."""
        commands = [
            ("complaint", tr.pgettext("command", "Complain about a seller")),
            ("start", tr.pgettext("command", "What this bot does")),
            ("help", tr.pgettext("command", "Help and commands")),
            ("cancel", tr.pgettext("command", "Stop the conversation")),
            ("deadline", tr.pgettext("command", "Work out the dispute deadlines")),
            ("sources", tr.pgettext("command", "Where the advice comes from")),
            ("reminders", tr.pgettext("command", "Your reminders")),
            ("language", tr.pgettext("command", "Language of the bot")),
            ("forget", tr.pgettext("command", "Delete what the bot keeps about you")),
        ]
        return [c for c in commands if not (group and c[0] == "start")]

    def _service(self, screen: Screen, tr: Translator) -> Html:
        """The screens outside the advice: greeting, help, hints, menus, cancelling."""
        kind = screen.kind
        if kind is ScreenKind.GREETING:
            return join_lines(
                tr.pgettext("greeting", "Hello! I help AliExpress buyers complain about a seller."),
                tr.pgettext(
                    "greeting",
                    "I will ask what happened and show where to click, which box to tick "
                    "and whom to write to. It takes less than a minute.",
                ),
            )
        if kind is ScreenKind.HELP:
            return self._help(tr)
        if kind is ScreenKind.HINT:
            if screen.step is None:
                return tr.pgettext(
                    "hint", "I understand only text and buttons. To start, send /complaint."
                )
            return tr.pgettext(
                "hint", "I understand only text and buttons: please answer the question above."
            )
        if kind is ScreenKind.UNKNOWN_COMMAND:
            return tr.pgettext("hint", "I do not know this command. Try /complaint or /help.")
        if kind is ScreenKind.LANGUAGE:
            return tr.pgettext("language", "Choose the language of the bot:")
        if kind is ScreenKind.LANGUAGE_SET:
            return tr.pgettext(
                "language", "Done: I will answer in English. To start, send /complaint."
            )
        if kind is ScreenKind.FORGET:
            return tr.pgettext(
                "forget",
                "Delete everything I keep about you: your conversations, reminders and language "
                "choice? This cannot be undone.",
            )
        if kind is ScreenKind.FORGOTTEN:
            return tr.pgettext("forget", "Done: everything I kept about you is deleted.")
        if kind is ScreenKind.FORGET_KEPT:
            return tr.pgettext("forget", "OK, nothing is deleted.")
        if kind is ScreenKind.CANCELLED:
            return tr.pgettext("cancel", "OK, I have stopped. To start again, send /complaint.")
        if kind is ScreenKind.NOTHING_TO_CANCEL:
            return tr.pgettext("cancel", "There is nothing to cancel. To start, send /complaint.")
        raise ValueError(f"{kind} is not a service screen")

    def _help(self, tr: Translator) -> Html:
        return join_lines(
            tr.pgettext(
                "help",
                "I help AliExpress buyers complain about a seller: I ask what happened and show "
                "whether to open a dispute or submit a complaint, which box to tick and whom "
                "to write to.",
            ),
            "",
            tr.pgettext("help", "/complaint: start"),
            tr.pgettext("help", "/start: what this bot does"),
            tr.pgettext("help", "/cancel: stop the conversation"),
            tr.pgettext("help", "/deadline: work out the dispute deadlines"),
            tr.pgettext("help", "/sources: where the advice on screen comes from"),
            tr.pgettext("help", "/reminders: your reminders"),
            tr.pgettext("help", "/language: the language of the bot"),
            tr.pgettext("help", "/forget: delete everything I keep about you"),
            tr.pgettext("help", "/help: this message"),
            "",
            tr.pgettext(
                "help",
                "I keep your answers, reminders and language choice only so that a "
                "conversation can continue after a break; /forget deletes them.",
            ),
        )

    def stats(self, stats: Stats, tr: Translator) -> View:
        """/stats for the admins: a few counts, no names."""
        labels = {b.id: b.form_label for b in self.guide.boxes}
        lines = [
            tr.pgettext(
                "stats",
                "<b>Conversations started</b>: %(today)s today, %(week)s this week.",
                today=stats.conversations_today,
                week=stats.conversations_week,
            ),
            "",
            tr.pgettext("stats", "<b>Answers shown this week, by box:</b>"),
        ]
        lines += [f"• {escape(labels.get(box, box))}: {n}" for box, n in stats.boxes.items()]
        lines += ["", tr.pgettext("stats", "<b>By route:</b>")]
        lines += [f"• {escape(route)}: {n}" for route, n in stats.routes.items()]
        return View(join_lines(*lines))

    def _sources(
        self, screen: Screen, session: Session | None, tr: Translator, group: bool
    ) -> Html:
        """The sources behind the advice the person is looking at (or the inline card
        ``screen.topic``); the guide and the official pages otherwise."""
        origin = session.step if session is not None and session.active else None
        if origin is Step.SOURCES and session is not None:
            origin = Step(session.answers.get(SOURCES_FROM, Step.CONFIRMED))
        if screen.topic is not None:
            if screen.topic == START_CARD:
                title, _, card = self.where_to_start(tr)
            else:
                title, card = (
                    self.inline_title(screen.topic, tr),
                    self.inline_answer(screen.topic, tr),
                )
            cited = self.sources_on(card, tr)
            head = tr.pgettext("sources", "<b>Sources of the answer «%(title)s»:</b>", title=title)
        elif session is not None and origin in ANSWER_STEPS:
            shown = replace(session, step=origin)
            flow_screen = Screen(_STEP_SCREENS[origin], origin)
            text = self._text(flow_screen, shown, tr, group)
            cited = self.sources_on(text, tr)
            head = tr.pgettext("sources", "<b>Where the advice above comes from:</b>")
        else:  # no advice on screen: the guide and the official pages, and how to see more
            everything = self.guide.sources.values()
            cited = [s for s in everything if s.id == SEED or s.official]
            head = join_lines(
                tr.pgettext("sources", "<b>Where the bot's advice comes from:</b>"),
                tr.npgettext(
                    "sources",
                    "%(n)s source in all. Each answer has a Sources button that lists the "
                    "ones behind it; here are the guide and the pages of AliExpress and Alibaba "
                    "themselves:",
                    "%(n)s sources in all. Each answer has a Sources button that lists the "
                    "ones behind it; here are the guide and the pages of AliExpress and Alibaba "
                    "themselves:",
                    len(everything),
                ),
            )
        lines: list[str] = [head]
        for source in cited:
            title = escape(source.title)
            mark = tr.pgettext("sources", " (official)") if source.official else ""
            if source.id == SEED:
                mark = tr.pgettext("sources", " (the guide the bot started from)")
            lines.append(f'• <a href="{html.escape(source.url)}">{title}</a>{mark}')
        checked = max(date.fromisoformat(s.checked) for s in cited)
        lines += [
            "",
            tr.pgettext(
                "sources",
                "All were checked on %(date)s; most are consumer sites or copies of AliExpress "
                "help pages, and what only one of them says is marked as such.",
                date=self._day(checked, tr),
            ),
        ]
        return join_lines(*lines)

    def sources_on(self, text: str, tr: Translator) -> list[Source]:
        """The sources of every guide statement that ``text`` shows, in the guide's order.

        A statement's first sources are its best ones: at most ``CITED_PER_STATEMENT`` of
        each are listed, so that the list stays one short message.
        """
        ids: dict[str, None] = {}
        for statement in self.guide.statements():
            if self._say(tr, statement) in text:
                ids.update(dict.fromkeys(statement.sources[:CITED_PER_STATEMENT]))
        return [self.guide.sources[i] for i in self.guide.sources if i in ids]
