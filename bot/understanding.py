"""What went wrong, read from what a buyer typed: the main problem, and why.

Pure. The words are data (``data/understanding.toml``): phrases per problem, grouped by what
they are, and the rules that pick the main problem when a message names several. Every
reading says why it came out as it did (:attr:`Reading.why`), so a test, or a person
reading a log of misunderstood phrases, can see which phrase and which rule decided.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.guide import Guide
from bot.matching import Matcher

#: A word that the phrases of more problems than this use says nothing about which one.
DISTINCTIVE_IN_AT_MOST = 2


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says went wrong."""

    problem: str | None  # the main problem's id; None: not sure
    #: Every problem a phrase matched, with that phrase and its group.
    matched: dict[str, tuple[str, str]]
    #: With no problem: the likeliest ones, by the words of theirs the message has.
    candidates: tuple[str, ...] = ()
    why: str = ""


class Understanding:
    def __init__(self, guide: Guide) -> None:
        self.rules = guide.rules
        self._groups: dict[tuple[str, str], str] = {}
        phrases: dict[str, list[str]] = {}
        for problem in guide.problems:
            for phrase, group in problem.keywords:
                phrases.setdefault(problem.id, []).append(phrase)
                self._groups[problem.id, phrase] = group
        self._matcher = Matcher(phrases)
        self._arrived = Matcher({"arrived": self.rules.arrived})
        # The words of each problem's phrases, and those few problems share.
        words_of = {p: self._matcher.words_of(p) for p in phrases}
        used_by = Counter(w for words in words_of.values() for w in words)
        self._distinctive = {
            p: {w for w in words if used_by[w] <= DISTINCTIVE_IN_AT_MOST and len(w) >= 3}
            for p, words in words_of.items()
        }
        self._rank = {p: i for i, p in enumerate(self.rules.priority)}

    def read(self, text: str) -> Reading:
        """The main problem of ``text``, by the rules of ``data/understanding.toml``."""
        explained = self._matcher.explain(text)
        matched = {p: (phrase, self._groups[p, phrase]) for p, phrase in explained.items()}
        found = sorted(matched, key=self._rank.__getitem__)
        if found and self._arrived.match(text) and self.rules.item_problems & set(found):
            # «пришла, но не тот размер»: what came is the problem, not the delivery.
            found = [p for p in found if p != "not_arrived"]
        if len(found) == 1:
            return Reading(found[0], matched, why=f"one problem: «{matched[found[0]][0]}»")
        if found:
            main, rest = found[0], ", ".join(found[1:])
            phrase = matched[main][0]
            why = f"several problems; by priority «{phrase}» ({main}) before {rest}"
            return Reading(main, matched, why=why)
        candidates = self._candidates(text)
        if candidates:
            why = "no phrase; words of " + ", ".join(candidates)
            return Reading(None, matched, candidates, why=why)
        return Reading(None, matched, why="no phrase and no word of any problem")

    def rank(self, text: str) -> list[str]:
        """Problem ids ``text`` may describe, the likeliest first (for inline search)."""
        reading = self.read(text)
        if reading.problem is None:
            return list(reading.candidates)
        others = sorted(set(reading.matched) - {reading.problem}, key=self._rank.__getitem__)
        return [reading.problem, *others]

    def _candidates(self, text: str) -> tuple[str, ...]:
        """The problems whose distinctive words ``text`` has, most words first."""
        words = self._matcher.words_in(text)
        counts = {p: len(words & distinctive) for p, distinctive in self._distinctive.items()}
        ranked = sorted(
            (p for p, n in counts.items() if n), key=lambda p: (-counts[p], self._rank[p])
        )
        return tuple(ranked[: self.rules.max_candidates])
