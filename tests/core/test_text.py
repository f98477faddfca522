"""Slack text in and out: normalize() undoes Slack's formatting; escape_for_chat() defuses markup."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.text import echo, escape_for_chat, normalize, shorten


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        pytest.param("<@U123ABC> nodes", "nodes", id="leading-mention"),
        pytest.param("<@U123ABC|opsbot>, nodes", "nodes", id="named-mention-comma"),
        pytest.param("nodes <@U123ABC>", "nodes <@U123ABC>", id="later-mention-kept"),
        pytest.param("<http://x.io|x.io>", "x.io", id="labelled-link"),
        pytest.param("<http://x.io>", "http://x.io", id="bare-link"),
        pytest.param("<mailto:a@b.io|a@b.io>", "a@b.io", id="mailto"),
        pytest.param("<https://x.io/?a=1&amp;b=2>", "https://x.io/?a=1&b=2", id="link-with-entity"),
        pytest.param("a &amp; b &lt;c&gt;", "a & b <c>", id="entities"),
        pytest.param("&amp;lt;", "&lt;", id="entity-unescaped-once"),
        pytest.param("<!channel> hi", "<!channel> hi", id="broadcast-kept-for-the-grammar"),
        pytest.param("\u2018a\u2019 \u201cb\u201d \u2032c\u2033", "'a' \"b\" 'c\"", id="smart-quotes"),
        pytest.param("a\u200bb\ufeff", "ab", id="zero-width"),
        pytest.param("  a \n\t b\u00a0 c  ", "a b c", id="whitespace"),
    ],
)
def test_normalize_returns_what_the_person_typed(slack: str, plain: str) -> None:
    """Each kind of Slack formatting is undone, and only that."""
    assert normalize(slack) == plain


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        pytest.param("<!channel>", "&lt;!channel&gt;", id="channel"),
        pytest.param("<!here>", "&lt;!here&gt;", id="here"),
        pytest.param("<@U123>", "&lt;@U123&gt;", id="user"),
        pytest.param("<#C123|ops>", "&lt;#C123|ops&gt;", id="channel-link"),
        pytest.param("<https://evil|click>", "&lt;https://evil|click&gt;", id="link"),
        pytest.param("a & b", "a &amp; b", id="ampersand"),
        pytest.param("&amp; &lt; &gt;", "&amp; &lt; &gt;", id="entities-left-alone"),
        pytest.param("`x`", "\u02cbx\u02cb", id="backticks"),
        pytest.param(
            "@channel @Here @everyone", "@\u2060channel @\u2060Here @\u2060everyone", id="broadcast-words"
        ),
        pytest.param("a\u202eb\x00c", "abc", id="bidi-and-control"),
        pytest.param("*bold* _it_", "*bold* _it_", id="styling-kept"),
    ],
)
def test_escape_for_chat_neutralises_control_sequences(text: str, safe: str) -> None:
    """Pings, mentions, links and code-span breakouts cannot survive escaping."""
    assert escape_for_chat(text) == safe


@settings(max_examples=2000, deadline=None, database=None)
@given(st.text())
def test_escaped_text_has_no_angle_brackets_and_escaping_twice_changes_nothing(text: str) -> None:
    """Escaping is total and idempotent, so stored chat-safe text may be escaped again."""
    once = escape_for_chat(text)
    assert "<" not in once and ">" not in once and "`" not in once
    assert escape_for_chat(once) == once


def test_echo_shortens_before_escaping_so_no_entity_is_cut() -> None:
    """A long fragment is cut, marked with an ellipsis, then escaped and shown as code."""
    assert echo("a" * 9 + "<", limit=10) == "`" + "a" * 9 + "&lt;`"
    assert echo("<" * 20, limit=5) == "`" + "&lt;" * 4 + "…`"


def test_shorten_keeps_short_text_whole() -> None:
    """Text within the limit is returned as it is."""
    assert shorten("node-1", limit=6) == "node-1"
