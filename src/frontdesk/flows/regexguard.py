"""Regular expressions written by users, kept from backtracking catastrophically.

Python's ``re`` cannot be interrupted, so the guard is structural: before a pattern is accepted its
parse tree is walked and the shapes that backtrack exponentially are refused (a repeated group that
itself contains an unbounded repeat, like ``(a+)+``; a repeated alternation, like ``(a|aa)*``;
backreferences). What remains is matched against at most ``MAX_SUBJECT`` characters, so even a
polynomial pattern has a small, fixed ceiling.
"""

from __future__ import annotations

import re

# The parser is private but stable, and the only way to see a pattern's tree (Python 3.11+).
import re._parser as sre_parse
from functools import lru_cache
from re._constants import MAXREPEAT
from typing import Any

MAX_PATTERN = 300
MAX_SUBJECT = 500
MAX_UNBOUNDED = 2


class RegexRejected(ValueError):
    pass


def _walk(items: Any, inside_repeat: bool, counter: list[int]) -> None:
    for op, arg in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _low, high, sub = arg
            unbounded = (high == MAXREPEAT or high > 50) and name != "POSSESSIVE_REPEAT"
            if inside_repeat and unbounded:
                raise RegexRejected("nested repetition such as (a+)+ can take exponential time")
            if unbounded:
                counter[0] += 1
                if counter[0] > MAX_UNBOUNDED:
                    # a.*a.*a.*b takes minutes on 1,000 characters: each extra .* multiplies the work.
                    raise RegexRejected(f"at most {MAX_UNBOUNDED} unbounded repetitions (*, +, {{n,}}) per pattern")
            _walk(sub, inside_repeat or (high > 1 and name != "POSSESSIVE_REPEAT"), counter)
        elif name == "BRANCH":
            if inside_repeat:
                raise RegexRejected("a repeated alternation such as (a|ab)* can take exponential time")
            for branch in arg[1]:
                _walk(branch, inside_repeat, counter)
        elif name == "SUBPATTERN":
            _walk(arg[-1], inside_repeat, counter)
        elif name in ("ASSERT", "ASSERT_NOT"):
            _walk(arg[1], inside_repeat, counter)
        elif name in ("GROUPREF", "GROUPREF_EXISTS"):
            raise RegexRejected("backreferences are not supported")
        elif name == "ATOMIC_GROUP":
            _walk(arg, False, counter)


@lru_cache(maxsize=4096)
def compile_safe(pattern: str, *, case_sensitive: bool = False) -> re.Pattern[str]:
    if not pattern:
        raise RegexRejected("the pattern is empty")
    if len(pattern) > MAX_PATTERN:
        raise RegexRejected(f"patterns are limited to {MAX_PATTERN} characters")
    try:
        tree = sre_parse.parse(pattern)
    except re.error as exc:
        raise RegexRejected(f"not a valid regular expression: {exc}") from None
    _walk(tree, False, [0])
    return re.compile(pattern, 0 if case_sensitive else re.IGNORECASE)


def search_limited(pattern: re.Pattern[str], text: str) -> bool:
    return pattern.search(text[:MAX_SUBJECT]) is not None
