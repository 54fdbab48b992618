"""Typed answers → choices: folds case, ё/е, Russian word endings and small typos.

Pure and small on purpose: a crude suffix stemmer plus an edit-distance check is enough for
the few hundred short phrases of the guide, and keeps the bot free of heavy dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

#: Only the beginning of a long text is read (about a screenful): enough for a story that
#: ends with the point, and it keeps a 4096-character message cheap.
MAX_TOKENS = 120

_WORD = re.compile(r"[0-9a-zа-я]+")

# Inflectional endings, longest first; "ся"/"сь" (reflexive verbs) are taken off before them.
_ENDINGS = tuple(
    sorted(
        (
            "иями ями ами ого его ому ему ыми ими ией ая яя ое ее ые ие ый ий ой ей ую юю ом ем "
            "ах ях ов ев ам ям ть ла ло ли ил ыл ал ял ел ет ит ут ют ат ят ешь ишь им ым "
            "а я о е ы и у ю ь й"
        ).split(),
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 3


def normalize(text: str) -> str:
    """Lower-case, ё→е, punctuation and emoji dropped, spaces collapsed."""
    lowered = text.lower().replace("ё", "е")
    return " ".join(_WORD.findall(lowered))


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """A crude Russian stem: the word without its reflexive suffix and inflectional ending."""
    if len(word) <= _MIN_STEM:
        return word
    for suffix in ("ся", "сь"):
        if word.endswith(suffix) and len(word) - 2 >= _MIN_STEM:
            word = word[:-2]
            break
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def _within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) <= 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@lru_cache(maxsize=65536)
def stems_match(a: str, b: str) -> bool:
    """Whether two stems are the same word: equal, one a near prefix, or one typo apart.

    A negated stem («не|…») only matches a negated stem.
    """
    if a == b:
        return True
    a_negated, b_negated = a.startswith(_NEGATED), b.startswith(_NEGATED)
    if a_negated != b_negated:
        return False
    if a_negated:
        a, b = a[len(_NEGATED) :], b[len(_NEGATED) :]
        if a == b:
            return True
    shortest = min(len(a), len(b))
    if shortest >= 4 and (a.startswith(b) or b.startswith(a)) and abs(len(a) - len(b)) <= 2:
        return True
    return shortest >= 5 and _within_one_edit(a, b)


#: «не» belongs to the word after it: «не пришла» must not match «пришла, но не работает».
_NEGATION = "не"
_NEGATED = "не|"


def _stems(text: str) -> tuple[str, ...]:
    words = normalize(text).split()[:MAX_TOKENS]
    stems: list[str] = []
    negate = False
    for word in words:
        if word == _NEGATION:
            negate = True
            continue
        stems.append(_NEGATED + stem(word) if negate else stem(word))
        negate = False
    if negate:  # a lone «не» at the end
        stems.append(_NEGATION)
    return tuple(stems)


@dataclass(frozen=True, slots=True)
class _Phrase:
    choice: str
    stems: tuple[str, ...]
    weight: tuple[int, int]


class Matcher:
    """Maps free text to one of a set of choices, each described by keyword phrases.

    A phrase matches when each of its words matches a word of the text. The choice whose
    matching phrase has the most words wins; two choices with as many words are ambiguous.
    """

    def __init__(self, choices: Mapping[str, Iterable[str]]) -> None:
        phrases = []
        for choice, keywords in choices.items():
            for keyword in keywords:
                stems = _stems(keyword)
                if stems:
                    weight = (len(stems), sum(len(s) for s in stems))
                    phrases.append(_Phrase(choice, stems, weight))
        self._phrases = tuple(phrases)

    def scores(self, text: str) -> dict[str, tuple[int, int]]:
        """The best phrase weight of every choice that matched ``text``."""
        words = _stems(text)
        best: dict[str, tuple[int, int]] = {}
        if not words:
            return best
        for phrase in self._phrases:
            if phrase.weight <= best.get(phrase.choice, (0, 0)):
                continue
            if all(any(stems_match(p, w) for w in words) for p in phrase.stems):
                best[phrase.choice] = phrase.weight
        return best

    def match(self, text: str) -> str | None:
        """The single best choice for ``text``, or ``None`` if nothing or several fit."""
        ranked = sorted(self.scores(text).items(), key=lambda item: item[1], reverse=True)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0][1][0] == ranked[1][1][0]:
            return None
        return ranked[0][0]
