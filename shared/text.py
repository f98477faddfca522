"""Chat text in and out: read commands the way Slack delivers them, and echo user text safely.

Inbound, Slack does not hand us what the person typed. It escapes ``& < >`` as entities, wraps
mentions and links in angle brackets (``<@U123>``, ``<https://x|x>``; it even links node names that
look like host names), and phones and Macs turn quotes into curly ones. :func:`normalize` undoes all of
that so the grammar sees plain text.

Outbound, Slack treats ``<…>`` as control sequences: echoing ``<!channel>`` from an argument would make
the bot ping the whole channel, and ``<https://evil|prod>`` would render a disguised link.
:func:`escape_for_chat` neutralises every such sequence, and a few mrkdwn tricks that matter:

- ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;`` and ``&gt;``, so no mention, ping or link survives;
  an ``&`` that already starts one of those three entities is left alone, which makes escaping
  idempotent (text that was escaped once, such as a stored note, can safely be escaped again);
- a backtick becomes ``ˋ`` (U+02CB), so a fragment shown inside inline code cannot close it;
- ``@channel``, ``@here`` and ``@everyone`` get a word joiner after the ``@``, so they stay inert even
  if a message is ever posted with ``link_names``;
- bidirectional overrides and control characters other than tab and newline are dropped, so text
  cannot be shown reversed or hidden.

Bold, italics and strikethrough are left alone: they can change how a fragment looks, not what it does.
"""

from __future__ import annotations

import re

_LEADING_MENTION = re.compile(r"<@[A-Za-z0-9]+(?:\|[^<>]*)?>[:,]?")
_LINK = re.compile(r"<(?P<url>[A-Za-z][A-Za-z0-9+.-]*:[^|<>]*)(?:\|(?P<label>[^<>]*))?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}

_PLAIN_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # ‘ left single quotation mark
        "\u2019": "'",  # ’ right single quotation mark
        "\u201a": "'",  # ‚ single low-9 quotation mark
        "\u201b": "'",  # ‛ single high-reversed-9 quotation mark
        "\u2032": "'",  # ′ prime
        "\u201c": '"',  # “ left double quotation mark
        "\u201d": '"',  # ” right double quotation mark
        "\u201e": '"',  # „ double low-9 quotation mark
        "\u201f": '"',  # ‟ double high-reversed-9 quotation mark
        "\u2033": '"',  # ″ double prime
        "\u00ab": '"',  # « left-pointing double angle quotation mark
        "\u00bb": '"',  # » right-pointing double angle quotation mark
        "\u200b": None,  # zero width space
        "\u200c": None,  # zero width non-joiner
        "\u200d": None,  # zero width joiner
        "\u2060": None,  # word joiner
        "\ufeff": None,  # zero width no-break space
    }
)

_UNESCAPED_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_INERT_BACKTICK = "\u02cb"
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DROPPED = str.maketrans(
    dict.fromkeys(
        [*_BIDI_CONTROLS, *(chr(c) for c in range(32) if chr(c) not in "\t\n"), "\x7f"],
        None,
    )
)


def normalize(text: str) -> str:
    """Turn a Slack message into the plain text the person typed, on one line.

    In order: a leading user mention (``<@U123>``, ``<@U123|bot>``, optionally followed by ``:`` or
    ``,``) is removed; links become what was shown (``<http://x|x>`` → ``x``, ``<http://x>`` →
    ``http://x``, ``<mailto:a@b|a@b>`` → ``a@b``); ``&amp; &lt; &gt;`` are unescaped; curly quotes and
    primes become straight quotes and zero-width characters vanish; runs of whitespace (any Unicode
    space, newlines included) become one space, with none at either end. Other ``<…>`` sequences,
    such as ``<!channel>``, are kept as they are for the grammar to reject or to escape on echo.
    """
    text = text.strip()
    mention = _LEADING_MENTION.match(text)
    if mention is not None:
        text = text[mention.end() :]
    text = _LINK.sub(lambda link: link.group("label") or link.group("url"), text)
    text = _ENTITY.sub(lambda entity: _ENTITY_TEXT[entity.group(1)], text)
    text = text.translate(_PLAIN_QUOTES)
    return " ".join(text.split())


def escape_for_chat(text: str) -> str:
    """Return ``text`` made safe to show in a Slack message, as described in the module docstring.

    Idempotent: ``escape_for_chat(escape_for_chat(s)) == escape_for_chat(s)``. The result never
    contains ``<`` or ``>``.
    """
    text = text.translate(_DROPPED)
    text = _UNESCAPED_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("`", _INERT_BACKTICK)
    return _BROADCAST.sub(lambda word: f"@{_WORD_JOINER}{word.group(1)}", text)


def shorten(text: str, *, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking a cut with ``…``."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def echo(text: str, *, limit: int = 60) -> str:
    """Show a fragment of user input as inline code: shortened, then escaped for chat.

    Shortening comes first so an entity such as ``&lt;`` is never cut in half.
    """
    return "`" + escape_for_chat(shorten(text, limit=limit)) + "`"


def human_size(total: int) -> str:
    """A number of bytes as people read it: ``512 B``, ``1.5 KiB``, ``3.2 MiB``, ``1.1 GiB``."""
    value = float(total)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{total} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
