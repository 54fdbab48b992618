"""Typed answers → choices, with the field's tools for Russian.

Words are reduced to their dictionary form by ``pymorphy3`` with its Russian dictionary
(«пришла», «пришёл» → «прийти»; «посылку» → «посылка»); a word the dictionary does not know
(«пасылка», «непришла») is matched to the nearest word of the keywords by ``rapidfuzz``, when
it is close enough. A keyword phrase matches when every one of its words is in the text, in
any order; «не» belongs to the word after it, so «не пришла» does not match «пришла, но не
работает».

Pure: no I/O beyond loading the dictionary once, at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import pymorphy3
from rapidfuzz import fuzz, process

#: Only the beginning of a long text is read (about a screenful): enough for a story that
#: ends with the point, and it keeps a 4096-character message cheap.
MAX_TOKENS = 120

_WORD = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC = re.compile(r"[а-я]")

#: A word unknown to the dictionary is taken for a keyword's word when rapidfuzz rates
#: them at least this similar (out of 100) and it has at least FUZZY_MIN_LEN letters:
#: «пасылка» → «посылка» (86), «бракованая» → «бракованный» (76); never a word the
#: dictionary knows («свет» stays «свет», not «цвет»).
FUZZY_CUTOFF = 75
FUZZY_MIN_LEN = 5

#: «не» belongs to the word after it.
_NEGATION = "не"
_NEGATED = "не|"

_MORPH = pymorphy3.MorphAnalyzer(lang="ru")


def normalize(text: str) -> str:
    """Lower-case, ё→е, punctuation and emoji dropped, spaces collapsed."""
    lowered = text.lower().replace("ё", "е")
    return " ".join(_WORD.findall(lowered))


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The dictionary form of a (normalized) word; other scripts and numbers as they are."""
    if not _CYRILLIC.search(word):
        return word
    return str(_MORPH.parse(word)[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=65536)
def known(word: str) -> bool:
    """Whether the dictionary knows ``word`` (a typo usually is not known)."""
    return not _CYRILLIC.search(word) or bool(_MORPH.word_is_known(word))


@dataclass(frozen=True, slots=True)
class Word:
    """A word of a text: as typed (normalized), its dictionary form, and whether «не» or
    «нет» stands before it."""

    typed: str
    lemma: str
    negated: bool

    @property
    def key(self) -> str:
        return _NEGATED + self.lemma if self.negated else self.lemma


def tokens(text: str) -> tuple[Word, ...]:
    """The words of ``text``; «не» is joined to the word after it, also when typed as one
    word with it («непришла» → «не» + «прийти») where the dictionary knows the rest."""
    raw = normalize(text).split()[:MAX_TOKENS]
    out: list[Word] = []
    negate = False
    for token in raw:
        if token == _NEGATION:
            negate = True
            continue
        if token.startswith(_NEGATION) and len(token) > 4 and not known(token) and known(token[2:]):
            token, negate = token[2:], True
        out.append(Word(token, lemma(token), negate))
        negate = False
    if negate:  # a lone «не» at the end
        out.append(Word(_NEGATION, _NEGATION, False))
    return tuple(out)


def words(text: str) -> tuple[str, ...]:
    """The dictionary forms of ``text``'s words, «не» joined to the word after it."""
    return tuple(w.key for w in tokens(text))


@dataclass(frozen=True, slots=True)
class _Phrase:
    choice: str
    keyword: str  # as written in data/guide.toml, to explain a match
    words: frozenset[str]
    weight: tuple[int, int]  # (words, letters): the longer phrase is the more specific


class Matcher:
    """Maps free text to one of a set of choices, each described by keyword phrases.

    A phrase matches when each of its words is a word of the text. The choice whose
    matching phrase has the most words wins; two choices with as many words are ambiguous.
    """

    def __init__(self, choices: Mapping[str, Iterable[str]]) -> None:
        phrases = []
        #: Every keyword word as written and as a dictionary form → its dictionary form:
        #: what a typo is compared with («бракованая» is near «бракованный», whose
        #: dictionary form is «браковать»).
        spellings: dict[str, str] = {}
        for choice, keywords in choices.items():
            for keyword in keywords:
                found = tokens(keyword)
                if found:
                    lemmas = frozenset(w.key for w in found)
                    weight = (len(found), sum(len(w.key) for w in found))
                    phrases.append(_Phrase(choice, keyword, lemmas, weight))
                for w in found:
                    for spelling in (w.typed, w.lemma):
                        if len(spelling) >= FUZZY_MIN_LEN:
                            spellings.setdefault(spelling, w.lemma)
        self._phrases = tuple(phrases)
        self._vocabulary = {w for p in phrases for w in p.words}
        self._spellings = spellings
        self._fixed: dict[str, str] = {}

    def _fix(self, word: Word) -> str:
        """The word's key, with a typo taken for the keyword word it stands for."""
        key = word.key
        if key in self._vocabulary or len(word.typed) < FUZZY_MIN_LEN or known(word.typed):
            return key
        fixed = self._fixed.get(word.typed)
        if fixed is None:
            best = process.extractOne(
                word.typed, self._spellings.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            fixed = self._spellings[best[0]] if best is not None else word.lemma
            if len(self._fixed) < 65536:
                self._fixed[word.typed] = fixed
        return _NEGATED + fixed if word.negated else fixed

    def _words(self, text: str) -> frozenset[str]:
        return frozenset(self._fix(w) for w in tokens(text))

    def _matches(self, text: str) -> dict[str, _Phrase]:
        """The best matching phrase of every choice that matched ``text``."""
        found = self._words(text)
        best: dict[str, _Phrase] = {}
        if not found:
            return best
        for phrase in self._phrases:
            current = best.get(phrase.choice)
            if current is not None and phrase.weight <= current.weight:
                continue
            if phrase.words <= found:
                best[phrase.choice] = phrase
        return best

    def words_of(self, choice: str) -> frozenset[str]:
        """Every word of ``choice``'s phrases."""
        return frozenset(w for p in self._phrases if p.choice == choice for w in p.words)

    def words_in(self, text: str) -> frozenset[str]:
        """The words of ``text`` as this matcher sees them: dictionary forms, typos fixed."""
        return self._words(text)

    def scores(self, text: str) -> dict[str, tuple[int, int]]:
        """The best phrase weight of every choice that matched ``text``."""
        return {choice: p.weight for choice, p in self._matches(text).items()}

    def explain(self, text: str) -> dict[str, str]:
        """Why ``text`` matched: the keyword phrase that matched, by choice."""
        return {choice: p.keyword for choice, p in self._matches(text).items()}

    def match(self, text: str) -> str | None:
        """The single best choice for ``text``, or ``None`` if nothing or several fit."""
        ranked = sorted(self.scores(text).items(), key=lambda item: item[1], reverse=True)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0][1][0] == ranked[1][1][0]:
            return None
        return ranked[0][0]
