"""Keyword matching whose cost does not grow with the number of triggers.

``exact`` is a dictionary lookup; ``starts_with`` and ``ends_with`` walk a character trie (the second
over reversed text); ``contains`` runs an Aho-Corasick automaton once over the message. Each is built
twice, for case-sensitive patterns over the raw text and the rest over its case-folded form. Only
``regex`` triggers are tried one by one, which is why their number is capped and each is guarded
against catastrophic backtracking. A message therefore costs O(its length + matches), whether the
organization has ten triggers or ten thousand.
"""

from __future__ import annotations

import re
import uuid
from collections import deque
from dataclasses import dataclass, field

from frontdesk.flows.regexguard import RegexRejected, compile_safe, search_limited

MATCHES = ("exact", "contains", "starts_with", "ends_with", "regex")
_RANK = {m: i for i, m in enumerate(("exact", "starts_with", "ends_with", "contains", "regex"))}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Entry:
    trigger_id: uuid.UUID
    flow_id: uuid.UUID
    match: str
    pattern: str
    case_sensitive: bool
    priority: int
    order: int  # older triggers win ties
    inbox_ids: frozenset[str] = frozenset()

    def key(self) -> tuple[int, int, int]:
        return (-self.priority, _RANK[self.match], self.order)


def normalize(text: str, case_sensitive: bool) -> str:
    text = _SPACE.sub(" ", text.strip())
    return text if case_sensitive else text.casefold()


@dataclass
class _Trie:
    children: dict[str, _Trie] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    def add(self, word: str, entry: Entry) -> None:
        node = self
        for ch in word:
            node = node.children.setdefault(ch, _Trie())
        node.entries.append(entry)

    def prefixes(self, text: str) -> list[Entry]:
        found: list[Entry] = []
        node = self
        for ch in text:
            nxt = node.children.get(ch)
            if nxt is None:
                break
            node = nxt
            found.extend(node.entries)
        return found


class _AhoCorasick:
    def __init__(self) -> None:
        self.goto: list[dict[str, int]] = [{}]
        self.fail: list[int] = [0]
        self.out: list[list[Entry]] = [[]]

    def add(self, word: str, entry: Entry) -> None:
        state = 0
        for ch in word:
            nxt = self.goto[state].get(ch)
            if nxt is None:
                nxt = len(self.goto)
                self.goto[state][ch] = nxt
                self.goto.append({})
                self.fail.append(0)
                self.out.append([])
            state = nxt
        self.out[state].append(entry)

    def build(self) -> None:
        queue: deque[int] = deque(self.goto[0].values())
        while queue:
            r = queue.popleft()
            for ch, s in self.goto[r].items():
                queue.append(s)
                f = self.fail[r]
                while f and ch not in self.goto[f]:
                    f = self.fail[f]
                self.fail[s] = self.goto[f].get(ch, 0) if self.goto[f].get(ch, 0) != s else 0
                self.out[s] = self.out[s] + self.out[self.fail[s]]

    def search(self, text: str) -> list[Entry]:
        found: list[Entry] = []
        state = 0
        for ch in text:
            while state and ch not in self.goto[state]:
                state = self.fail[state]
            state = self.goto[state].get(ch, 0)
            if self.out[state]:
                found.extend(self.out[state])
        return found


class KeywordIndex:
    def __init__(self, entries: list[Entry]) -> None:
        self.size = len(entries)
        self.exact: tuple[dict[str, list[Entry]], dict[str, list[Entry]]] = ({}, {})
        self.prefix = (_Trie(), _Trie())
        self.suffix = (_Trie(), _Trie())
        self.contains = (_AhoCorasick(), _AhoCorasick())
        self.regexes: list[tuple[Entry, re.Pattern[str]]] = []
        for e in entries:
            cs = 1 if e.case_sensitive else 0
            word = normalize(e.pattern, e.case_sensitive)
            if e.match == "regex":
                try:
                    self.regexes.append((e, compile_safe(e.pattern, case_sensitive=e.case_sensitive)))
                except RegexRejected:
                    continue  # refused when saved; an old row must not break matching for everyone
            elif not word:
                continue
            elif e.match == "exact":
                self.exact[cs].setdefault(word, []).append(e)
            elif e.match == "starts_with":
                self.prefix[cs].add(word, e)
            elif e.match == "ends_with":
                self.suffix[cs].add(word[::-1], e)
            elif e.match == "contains":
                self.contains[cs].add(word, e)
        for automaton in self.contains:
            automaton.build()

    def candidates(self, text: str) -> list[Entry]:
        found: list[Entry] = []
        for cs in (0, 1):
            t = normalize(text, bool(cs))
            found.extend(self.exact[cs].get(t, ()))
            found.extend(self.prefix[cs].prefixes(t))
            found.extend(self.suffix[cs].prefixes(t[::-1]))
            found.extend(self.contains[cs].search(t))
        for entry, pattern in self.regexes:
            if search_limited(pattern, text):
                found.append(entry)
        return found

    def best(self, text: str, inbox_id: str | None = None) -> Entry | None:
        """The highest-priority trigger matching ``text`` (in ``inbox_id``'s flows), or None."""
        best: Entry | None = None
        for e in self.candidates(text):
            if inbox_id is not None and e.inbox_ids and inbox_id not in e.inbox_ids:
                continue
            if best is None or e.key() < best.key():
                best = e
        return best
