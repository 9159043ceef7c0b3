"""Rewriting, improving and summarising text without a language model.

With an LLM these are prompts (see ``copilot_bridge``). The offline model cannot write prose, so
here they are small, predictable edits an agent can rely on: "shorter" keeps the first sentences,
"more formal" expands contractions and adds a greeting and a sign-off, "friendlier" does the
opposite, and an instruction we do not recognise is added as a sentence only when it reads like an
offer ("offer a discount"). Whatever cannot be done is said in ``notes``, never silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CONTRACTIONS = {
    "can't": "cannot",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "hasn't": "has not",
    "couldn't": "could not",
    "wouldn't": "would not",
    "shouldn't": "should not",
    "i'm": "I am",
    "i've": "I have",
    "i'll": "I will",
    "i'd": "I would",
    "you're": "you are",
    "you'll": "you will",
    "you've": "you have",
    "we're": "we are",
    "we'll": "we will",
    "we've": "we have",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "let's": "let us",
}
_CASUAL = {
    "hi": "Hello",
    "hey": "Hello",
    "thanks": "Thank you",
    "thx": "Thank you",
    "yeah": "yes",
    "yep": "yes",
    "nope": "no",
    "asap": "as soon as possible",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
}
_GREETING = re.compile(r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening))\b", re.IGNORECASE)
_SIGN_OFF = re.compile(r"(kind regards|best regards|best wishes|sincerely|cheers)[,.!]?\s*$", re.IGNORECASE)


@dataclass
class Rewrite:
    text: str
    notes: list[str] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def _replace_words(text: str, table: dict[str, str]) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        new = table.get(word.lower())
        if new is None:
            return word
        return new[0].upper() + new[1:] if word[0].isupper() else new

    pattern = r"\b(" + "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)) + r")\b"
    return re.sub(pattern, swap, text, flags=re.IGNORECASE)


def tidy(text: str) -> str:
    """Spacing, capitals after full stops, a final full stop: what "improve" always does."""
    out = re.sub(r"[ \t]+", " ", text.strip())
    out = re.sub(r"\s+([,.!?;:])", r"\1", out)
    out = re.sub(r"([,.!?;:])(?=[A-Za-z])", r"\1 ", out)
    out = re.sub(r"\bi\b", "I", out)
    out = re.sub(r"([.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), out)
    out = re.sub(r"([!?.])\1+", r"\1", out)
    if out and out[0].islower():
        out = out[0].upper() + out[1:]
    if out and out[-1] not in ".!?:)\"'":
        out += "."
    return out


def shorter(text: str) -> str:
    parts = sentences(text)
    if len(parts) <= 1:
        words = text.split()
        return " ".join(words[: max(8, len(words) * 2 // 3)]).rstrip(",;") + ("" if len(words) <= 8 else "…")
    keep = max(1, (len(parts) + 1) // 2)
    return " ".join(parts[:keep])


def formal(text: str) -> str:
    out = tidy(_replace_words(_replace_words(text, _CONTRACTIONS), _CASUAL))
    out = out.replace("!", ".")
    if not _GREETING.match(out):
        out = "Hello,\n\n" + out
    if not _SIGN_OFF.search(out):
        out += "\n\nKind regards"
    return out


def friendlier(text: str) -> str:
    out = tidy(text)
    if not _GREETING.match(out):
        out = "Hi there! " + out
    if not re.search(r"(let me know|happy to help)", out, re.IGNORECASE):
        out += " Let me know if there is anything else I can do!"
    return out


_OFFER = re.compile(r"\b(offer|give|include|mention|add)\b\s+(an?\s+|the\s+)?(.+)$", re.IGNORECASE)


def rewrite(text: str, instruction: str) -> Rewrite:
    """Apply an agent's instruction to a draft, as far as rules can."""
    ask = instruction.strip().lower()
    result = Rewrite(text)
    done = False
    if re.search(r"\b(short|shorter|brief|concise|trim)\b", ask):
        result.text, done = shorter(result.text), True
    if re.search(r"\b(formal|polite|professional)\b", ask):
        result.text, done = formal(result.text), True
    elif re.search(r"\b(friendl|warm|casual)", ask):
        result.text, done = friendlier(result.text), True
    if re.search(r"\b(apolog|sorry)", ask):
        result.text, done = "We are sorry for the trouble. " + result.text, True
    match = _OFFER.search(instruction.strip())
    if match:
        thing = match.group(3).strip().rstrip(".")
        result.text = (
            result.text.rstrip() + f" As a thank-you for your patience, we would like to offer you {_article(thing)}."
        )
        done = True
    if not done:
        result.text = tidy(result.text)
        result.notes.append(
            "The offline assistant could not follow that instruction; it only tidied the text. "
            "Try shorter, more formal, friendlier, apologise, or offer …, or connect a language model."
        )
    return result


def _article(thing: str) -> str:
    if re.match(r"^(a|an|the|some|our|your|\d)", thing, re.IGNORECASE):
        return thing
    return ("an " if thing[:1].lower() in "aeiou" else "a ") + thing


def improve(text: str) -> Rewrite:
    better = tidy(_replace_words(text, _CASUAL))
    notes = [] if better != text.strip() else ["The text already reads well; nothing to change."]
    return Rewrite(better, notes)


def summarize(turns: Sequence[tuple[str, str]], *, max_points: int = 6) -> str:
    """An extractive summary: what the customer asked, what was answered, what is still open.

    ``turns`` are (role, text) pairs, oldest first.
    """
    if not turns:
        return "Nothing has been said in this conversation yet."
    customer = [t for r, t in turns if r == "customer" and t.strip()]
    answers = [t for r, t in turns if r in ("assistant", "agent") and t.strip()]
    lines = [f"{len(turns)} messages: {len(customer)} from the customer, {len(answers)} replies."]
    if customer:
        lines.append(f"The customer first wrote: “{_clip(customer[0])}”")
        asked = [_clip(t) for t in customer[1:] if "?" in t][: max_points - 3]
        lines.extend(f"They also asked: “{q}”" for q in asked)
    if answers:
        lines.append(f"The latest reply: “{_clip(answers[-1])}”")
    last_role = turns[-1][0]
    if last_role == "customer":
        lines.append(f"Waiting for a reply to: “{_clip(turns[-1][1])}”")
    return "\n".join(lines)


def _clip(text: str, limit: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"
