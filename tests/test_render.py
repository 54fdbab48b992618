"""Every screen, in Russian, as Telegram would accept it, with the content the guide requires."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot import callbacks
from bot.flow import (
    COMPLETED_ON,
    COMPLETED_VIA,
    CONFIRMED,
    CONFIRMED_ON,
    COUNTDOWN,
    DEADLINE_END,
    DEADLINE_KIND,
    NO,
    PROTECTION,
    SOURCES_FROM,
    YES,
    Flow,
    Notice,
    Route,
    Screen,
    ScreenKind,
    Session,
    Step,
)
from bot.guide import Guide
from bot.i18n import Translator
from bot.render import Renderer, View
from tests.fake_telegram import parse_html, utf16_len

BASE = Session(
    chat_id=1, user_id=1, step=Step.CONFIRMED, language="ru", created_at=0, updated_at=1.79636e9
)
#: The dispute advice: protection running; completed recently; completed on a known day.
DISPUTES: list[dict[str, str]] = [
    {"confirmed": NO, "protection": YES},
    {"confirmed": YES, COMPLETED_VIA: CONFIRMED, "recent": YES},
    {COMPLETED_VIA: COUNTDOWN, DEADLINE_KIND: CONFIRMED_ON, DEADLINE_END: "2026-12-10"},
]
#: /deadline answers: protection ahead; ended 5 days ago; ended long ago.
DEADLINES: list[dict[str, str]] = [
    {DEADLINE_KIND: PROTECTION, DEADLINE_END: "2027-01-20"},
    {
        DEADLINE_KIND: CONFIRMED_ON,
        COMPLETED_VIA: COUNTDOWN,
        COMPLETED_ON: "2026-11-29",
        DEADLINE_END: "2026-12-14",
    },
    {DEADLINE_KIND: CONFIRMED_ON, COMPLETED_ON: "2026-10-01", DEADLINE_END: "2026-10-16"},
]


def all_screens(flow: Flow, guide: Guide) -> Iterator[tuple[str, Screen, Session | None]]:
    yield "greeting", flow.screen(replace(BASE, step=Step.START)), replace(BASE, step=Step.START)
    for kind in (
        ScreenKind.HELP,
        ScreenKind.HINT,
        ScreenKind.UNKNOWN_COMMAND,
        ScreenKind.NOTHING_TO_CANCEL,
    ):
        yield kind.value, Screen(kind), None
    yield "hint-active", Screen(ScreenKind.HINT, Step.CONFIRMED), BASE
    for step in (Step.CONFIRMED, Step.PROTECTION, Step.RECENT, Step.CANCELLED):
        for via in (CONFIRMED, COUNTDOWN):
            session = replace(BASE, step=step, answers={COMPLETED_VIA: via})
            for notice in (None, *Notice):
                yield f"{step}-{via}-{notice}", flow.screen(session, notice), session
    for answers in DISPUTES:
        session = replace(BASE, step=Step.DISPUTE, answers=answers)
        yield f"dispute-{answers}", flow.screen(session), session
        sources = replace(session, step=Step.SOURCES, answers={**answers, SOURCES_FROM: "dispute"})
        yield f"sources-dispute-{answers}", flow.screen(sources), sources
    for answers in DEADLINES:
        session = replace(BASE, step=Step.DEADLINE_SET, answers=answers)
        yield f"deadline-{answers}", flow.screen(session), session
    unpaid = replace(BASE, step=Step.UNPAID, route=Route.UNPAID, problem="unpaid", box="payment")
    yield "unpaid", flow.screen(unpaid), unpaid
    yield "sources-all", Screen(ScreenKind.SOURCES), None
    for route in Route:
        session = replace(BASE, step=Step.PROBLEM, route=route)
        yield f"problem-{route}", flow.screen(session), session
        for problem in guide.problems:
            answered = replace(
                session, step=Step.ANSWER, problem=problem.id, box=problem.box.id, seq=999_999_999
            )
            yield f"answer-{route}-{problem.id}", flow.screen(answered), answered


def screens(flow: Flow, guide: Guide, renderer: Renderer, ru: Translator) -> list[tuple[str, View]]:
    return [(name, renderer.view(s, sess, ru)) for name, s, sess in all_screens(flow, guide)]


def test_every_screen_is_valid_telegram_html_within_limits(
    flow: Flow, guide: Guide, renderer: Renderer, ru: Translator
) -> None:
    for name, view in screens(flow, guide, renderer, ru):
        plain, entities = parse_html(view.text)  # raises like Telegram on bad HTML
        assert plain.strip(), name
        assert utf16_len(plain) <= 4096, name
        assert len(entities) <= 100, name
        assert sum(len(row) for row in view.keyboard) <= 100, name
        for row in view.keyboard:
            assert len(row) <= 8, name
            for button in row:
                if button.url is not None:  # a page of aliexpress.com, from data/guide.toml
                    assert button.url.startswith("https://"), name
                    assert button.data is None, name
                else:
                    assert button.data is not None, name
                    assert 1 <= len(button.data.encode()) <= 64, name
                    assert callbacks.decode(button.data) is not None, name
                # fits a phone screen without being cut
                assert 0 < len(button.label) <= 36, (name, button.label)


def test_questions_fit_on_a_phone_screen(
    flow: Flow, guide: Guide, renderer: Renderer, ru: Translator
) -> None:
    for name, view in screens(flow, guide, renderer, ru):
        # The full answer is one message by design; questions stay short.
        advice = ("answer", "dispute", "sources", "deadline", "unpaid")
        limit = 2500 if name.startswith(advice) else 600
        plain, _ = parse_html(view.text)
        assert len(plain) <= limit, (name, len(plain))


@pytest.mark.parametrize("route", list(Route))
def test_answer_has_everything_the_buyer_needs(
    flow: Flow, guide: Guide, renderer: Renderer, ru: Translator, route: Route
) -> None:
    seed_ru_labels = {
        "not_received": "товар не получен",
        "payment": "оплата не получена",
        "not_as_described": "описание не соответствует действительности либо не полное",
        "ipr": "нарушено авторское право",
        "pictures": "воровство картинок",
        "rules": "нарушение правил торговли Алиэкспресс",
    }
    form_labels = {
        "not_received": "Products not received",
        "payment": "Payment not received",
        "not_as_described": "Products not as described",
        "ipr": "Intellectual Property Rights (IPR) Infringement",
        "pictures": "Picture stealing",
        "rules": "Violation of AliExpress Trade Rules",
    }
    for problem in guide.problems:
        session = replace(
            BASE, step=Step.ANSWER, route=route, problem=problem.id, box=problem.box.id
        )
        plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
        box = problem.box.id
        assert f"«{seed_ru_labels[box]}»" in plain
        assert form_labels[box] in plain
        assert "«Помощь»" in plain
        assert "«Подать жалобу»" in plain
        assert "Сейчас" in plain  # today's route, flagged as such
        assert "Disputes & Reports" in plain
        assert "Сейчас: жалоба сама по себе деньги не возвращает" in plain
        assert "buyer@aliexpress.com" in plain
        assert "smallbizhelp@service.alibaba.com" in plain
        assert "из справочника" in plain  # the addresses are marked as the guide's
        unboxing = "Видео распаковки" in plain
        assert unboxing == (problem.id in {"broken", "wrong_variant", "poor_quality", "fake"})
        assert "никогда не платите продавцу и не общайтесь с ним в обход AliExpress" in plain
        for line in problem.evidence:
            assert ru.raw("guide", line.text) in plain
        buttons = [
            b.label
            for row in renderer.view(flow.screen(session), session, ru).keyboard
            for b in row
        ]
        assert buttons == [
            "Справочный центр и чат AliExpress",
            "Готовый текст на английском",
            "Другая проблема",
            "Источники",
            "Начать заново",
        ]


def test_plan_b_answers_say_dispute_first(flow: Flow, renderer: Renderer, ru: Translator) -> None:
    session = replace(
        BASE, step=Step.ANSWER, route=Route.PLAN_B, problem="broken", box="not_as_described"
    )
    plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
    assert "Если вы ещё не открыли спор, начните с него." in plain


def test_dispute_advice_has_steps_evidence_and_no_complaint_needed(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.DISPUTE, answers={"confirmed": NO, "protection": YES})
    view = renderer.view(flow.screen(session), session, ru)
    plain, _ = parse_html(view.text)
    assert "жалоба пока не нужна" in plain
    assert "«Открыть спор»" in plain
    assert "Что собрать" in plain
    assert "2–3 дня" in plain
    assert [b.label for row in view.keyboard for b in row] == [
        "Мои заказы на AliExpress",
        "Посчитать сроки",
        "Готовый текст на английском",
        "Всё равно: как подать жалобу",
        "Источники",
        "Начать заново",
    ]


def test_after_confirmation_dispute_is_flagged_as_today(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.DISPUTE, answers=DISPUTES[1])
    plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
    assert "Сейчас: спор можно открыть ещё в течение 15 дней после завершения заказа" in plain
    assert "запасной вариант" in plain
    assert "Посчитать сроки" in [
        b.label for row in renderer.view(flow.screen(session), session, ru).keyboard for b in row
    ]


def test_dispute_with_a_known_last_day_gives_it_by_date(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.DISPUTE, answers=DISPUTES[2])  # on 4 December 2026
    view = renderer.view(flow.screen(session), session, ru)
    plain, _ = parse_html(view.text)
    assert "Спор ещё можно открыть — до 10 декабря 2026" in plain
    assert "(осталось 6 дней)" in plain
    labels = [b.label for row in view.keyboard for b in row]
    assert "Посчитать сроки" not in labels


def test_the_payment_advice_is_its_own_answer(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.UNPAID, route=Route.UNPAID, problem="unpaid", box="payment")
    view = renderer.view(flow.screen(session), session, ru)
    plain, _ = parse_html(view.text)
    assert "до 24 часов" in plain
    assert "не платите второй раз" in plain
    assert "3–20 рабочих дней" in plain
    assert "«оплата не получена» (Payment not received)" in plain  # the guide's box…
    assert "предназначен для продавцов" in plain  # …and what one source says of it
    assert "спор" not in plain.lower().replace("справк", "")  # no dispute route here
    assert [b.label for row in view.keyboard for b in row] == [
        "Мои заказы на AliExpress",
        "Источники",
        "Начать заново",
    ]


def test_interpolated_values_are_escaped(ru: Translator) -> None:
    text = ru.pgettext("answer", "%(email)s: %(who)s", email="<b>x&y</b>", who="a < b")
    assert text == "&lt;b&gt;x&amp;y&lt;/b&gt; — a &lt; b"
    parse_html(text)


def test_in_a_group_the_problem_question_asks_for_a_button_only(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.PROBLEM, route=Route.LATE)
    private = renderer.view(flow.screen(session), session, ru)
    group = renderer.view(flow.screen(session), session, ru, private_link="https://t.me/b?start=x")
    assert "своими словами" in private.text
    assert "своими словами" not in group.text
    assert group.keyboard[-1][0].url == "https://t.me/b?start=x"


def test_the_date_question_follows_what_was_asked(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    # Same step, same everything else: the question must still differ (it is not cached
    # across people who were asked different things).
    protection = replace(BASE, step=Step.DEADLINE, answers={"deadline_kind": "protection"})
    confirmed = replace(BASE, step=Step.DEADLINE, answers={"deadline_kind": "confirmed_on"})
    first = renderer.view(flow.screen(confirmed), confirmed, ru).text
    second = renderer.view(flow.screen(protection), protection, ru).text
    assert "Когда вы подтвердили получение?" in first
    assert "Когда заканчивается защита покупателя?" in second


def test_a_dated_screen_is_not_cached_across_people(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    """Two buyers on the same path with different days: each sees their own day."""
    shown = []
    for end in ("2026-11-28", "2026-11-19"):
        session = replace(
            BASE,
            step=Step.PROBLEM,
            route=Route.LATE,
            answers={COMPLETED_VIA: CONFIRMED, DEADLINE_KIND: CONFIRMED_ON, DEADLINE_END: end},
        )
        shown.append(renderer.view(flow.screen(session), session, ru).text)
    assert "28 ноября" in shown[0]
    assert "19 ноября" in shown[1]


def test_a_dispute_screen_after_its_last_day_says_so(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    answers = {COMPLETED_VIA: CONFIRMED, DEADLINE_KIND: CONFIRMED_ON, DEADLINE_END: "2026-11-09"}
    session = replace(BASE, step=Step.DISPUTE, answers=answers)  # on 4 December
    plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
    assert "Последний день для спора был 9 ноября" in plain
    assert "сегодня последний день" not in plain
    assert "Спор ещё можно открыть" not in plain


def test_screens_are_drawn_without_the_store() -> None:
    """One module per family of screens, none of which needs the database to draw."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "bot"
    modules = [root / "render.py", *sorted((root / "screens").glob("*.py"))]
    assert len(modules) >= 8
    for module in modules:
        tree = ast.parse(module.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "bot.storage" not in imported, module.name


def test_the_dispute_evidence_follows_the_problem_told_first(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    """Nothing to unbox when the parcel never came; and one buyer's problem is not shown to
    the next on the same path (the text cache keys on it)."""
    texts = {}
    for hint in ("not_arrived", "broken", None):
        answers = {"confirmed": NO, "protection": YES, **({"hint": hint} if hint else {})}
        session = replace(BASE, step=Step.DISPUTE, answers=answers)
        texts[hint] = parse_html(renderer.view(flow.screen(session), session, ru).text)[0]
    assert "Видео распаковки" not in texts["not_arrived"]
    assert "истории отслеживания" in texts["not_arrived"]
    assert "Короткое видео, где виден дефект" in texts["broken"]
    assert "Видео распаковки и фото того, что пришло" in texts[None]


def test_the_dates_name_the_last_day_for_a_dispute(
    flow: Flow, renderer: Renderer, ru: Translator
) -> None:
    session = replace(BASE, step=Step.DEADLINE_SET, answers=DEADLINES[0])  # ends 20 January
    plain, _ = parse_html(renderer.view(flow.screen(session), session, ru).text)
    assert "Последний день для спора — 4 февраля 2027" in plain
