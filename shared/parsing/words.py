"""Chat text split into words: quotes that close at a word's end keep a word whole.

A word opening with ``"`` or ``'`` runs to the matching quote that ends a word; an unmatched quote is
just a character, so ``don't`` needs no quoting. A leading en or em dash counts as ``--``, because
chat apps turn ``--`` into a dash, and a word like ``-3`` is an argument, not an option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEGATIVE_NUMBER = re.compile(r"-[0-9.]+")
_DASHES = ("\u2014", "\u2013")  # em dash, en dash: what chat apps make of "--"


@dataclass(frozen=True)
class Word:
    """One word of a message, where it starts in the normalised text, and whether it was quoted."""

    value: str
    quoted: bool
    start: int


def tokenize(text: str) -> list[Word]:
    """Split normalised text (single spaces) into words, honouring quotes that close at a word end."""
    words: list[Word] = []
    position = 0
    while position < len(text):
        if text[position] == " ":
            position += 1
            continue
        quote = text[position]
        if quote in "\"'":
            closing = text.find(quote, position + 1)
            while closing != -1 and closing + 1 < len(text) and text[closing + 1] != " ":
                closing = text.find(quote, closing + 1)
            if closing != -1:
                words.append(Word(text[position + 1 : closing], quoted=True, start=position))
                position = closing + 1
                continue
        end = text.find(" ", position)
        end = len(text) if end == -1 else end
        words.append(Word(text[position:end], quoted=False, start=position))
        position = end
    return words


def looks_like_option(word: Word) -> bool:
    """Whether ``word`` is written as an option (``-n``, ``--force``, ``—force``), not a number or quote."""
    value = word.value
    if word.quoted or len(value) < 2 or _NEGATIVE_NUMBER.fullmatch(value):
        return False
    return value.startswith("-") or value.startswith(_DASHES)


def undash(value: str) -> str:
    """``value`` with a leading en or em dash written as ``--``."""
    return "--" + value[1:] if value.startswith(_DASHES) else value


def unquote(value: str) -> str:
    """``value`` without one pair of surrounding quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def is_long_option(word: Word) -> bool:
    """Whether ``word`` is a ``--long`` option (so it cannot be the value of the option before it)."""
    return looks_like_option(word) and undash(word.value).startswith("--")
