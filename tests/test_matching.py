"""The matcher folds case, ё/е, Russian word forms and typos into the same choice."""

from __future__ import annotations

import pytest

from bot.matching import Matcher, lemma, normalize

YES_NO = Matcher(
    {
        "yes": ["да", "подтвердил"],
        "no": ["нет", "не подтверждал"],
        "idk": ["не знаю", "не помню"],
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ёлки, ЗЕЛЁНЫЕ!!!", "елки зеленые"),
        ("  не   пришла\nпосылка 🙁 ", "не пришла посылка"),
        ("", ""),
        ("🙂🙂", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("пришла", "пришло"),
        ("пришла", "пришёл"),
        ("посылка", "посылку"),
        ("подтвердил", "подтвердила"),
        ("размер", "размера"),
        ("линяет", "линяла"),
    ],
)
def test_word_forms_have_one_dictionary_form(a: str, b: str) -> None:
    assert lemma(normalize(a)) == lemma(normalize(b))


@pytest.mark.parametrize(
    ("typed", "keyword"),
    [
        ("пасылка не пришла", "посылка"),  # a typo the dictionary does not know
        ("бракованая", "бракованный"),
        ("непришла посылка", "не пришла посылка"),
    ],
)
def test_typos_match_the_nearest_keyword(typed: str, keyword: str) -> None:
    assert Matcher({"x": [keyword]}).match(typed) == "x"


@pytest.mark.parametrize(("a", "b"), [("да", "до"), ("нет", "не"), ("цвет", "свет")])
def test_short_words_must_be_exact(a: str, b: str) -> None:
    assert Matcher({"x": [a]}).match(b) is None


def test_a_match_can_be_explained() -> None:
    matcher = Matcher({"broken": ["не работает", "брак"], "not_arrived": ["не пришла"]})
    assert matcher.explain("Посылка пришла, но телефон не работает") == {"broken": "не работает"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Да", "yes"),
        ("да!", "yes"),
        ("ДА, подтвердила случайно", "yes"),
        ("нет", "no"),
        ("Нет, не подтверждала", "no"),
        ("не подтверждал", "no"),
        ("не знаю", "idk"),
        ("Не помню уже", "idk"),
        ("да нет", None),  # both: ask again
        ("не", None),
        ("картошка", None),
        ("", None),
    ],
)
def test_longest_phrase_wins_and_ties_are_ambiguous(text: str, expected: str | None) -> None:
    assert YES_NO.match(text) == expected


def test_negation_belongs_to_the_next_word() -> None:
    matcher = Matcher({"not_arrived": ["не пришла"], "broken": ["не работает"]})
    assert matcher.match("посылка пришла, но не работает") == "broken"
    assert matcher.match("посылка не пришла") == "not_arrived"
    assert matcher.match("посылка НЕ ПРИШЛА") == "not_arrived"


def test_huge_text_is_cheap_and_safe() -> None:
    assert YES_NO.match("бла " * 5000) is None
    assert YES_NO.match("да " + "бла " * 5000) == "yes"
