"""Replies that fit a chat window: a long list is its first items and a count, a long line is wrapped."""

from __future__ import annotations

from shared.fit import LINE_WIDTH, attached, attachment, first_items, wrap


def test_a_short_list_is_named_in_full() -> None:
    """Ten items or fewer: all of them."""
    assert first_items(["a", "b", "c"]) == "a, b, c"
    assert first_items([]) == "none"


def test_a_long_list_names_its_first_items_and_counts_the_rest() -> None:
    """200 pods: the first ten, then how many more."""
    pods = [f"default/shop-{i:03d}" for i in range(200)]
    assert first_items(pods) == ", ".join(pods[:10]) + " and 190 more"


def test_a_long_line_is_wrapped_at_spaces_without_losing_a_word() -> None:
    """Every line fits; the words are all there, in order; continuation lines are indented."""
    line = "Drain node/node-1: cordon it, then evict 200 pod(s): " + ", ".join(f"pod-{i}" for i in range(40))
    wrapped = wrap(line)
    assert all(len(part) <= LINE_WIDTH for part in wrapped.splitlines())
    assert wrapped.split() == line.split()
    assert all(part.startswith("  ") for part in wrapped.splitlines()[1:])


def test_a_code_block_of_data_is_left_as_it_is() -> None:
    """A table in a code block keeps its long rows: it is data, aligned in columns."""
    row = "node-00001  Ready  " + "x" * 120
    text = "5,000 nodes:\n```\n" + row + "\n```\n" + "after " * 30
    wrapped = wrap(text)
    assert row in wrapped.splitlines()
    assert all(len(part) <= LINE_WIDTH for part in wrapped.splitlines() if part != row)


def test_a_file_travels_as_an_event_detail() -> None:
    """The whole list goes with the event that summarises it, and is found again by name."""
    details = {"other": 1, **attachment("nodes.txt", "NAME\nnode-1\n")}
    assert attached(details) == ("nodes.txt", "NAME\nnode-1\n")
    assert attached({"file": "not a file"}) is None
