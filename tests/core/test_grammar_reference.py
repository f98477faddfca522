"""The command reference behind ``help`` and the README agrees with the grammar it describes."""

from __future__ import annotations

import re

import pytest

from shared.grammar import parse
from shared.messages.conversation import help_text
from shared.reference import CommandReference, command_reference, reference_for
from shared.vocabulary import COMMAND_NAMES, READ_ONLY_COMMANDS

EXAMPLE_VALUES = {
    "DEPLOY": "web",
    "NAME": "log-agent",
    "NAMESPACE": "shop",
    "NODE": "node-1",
    "REPLICAS": "3",
    "N": "2",
    "IMAGE": "nginx:1.27",
    "CONTAINER": "web",
    "VERSION": "v1.32.1",
    "SNAPSHOT": "snap-1",
    "JOB": "job-1",
    "APPROVAL": "apr-1a2b3c4d5e",
    "TITLE": "checkout errors",
    "TEXT": "drained by hand",
    "REASON": "not now",
    "INCIDENT": "INC-1",
    "COMMAND": "scale",
    "SECONDS": "30",
    "DURATION": "5m",
}


def example(usage: str) -> str:
    """A concrete command from a usage line: optional parts kept, first choices taken, placeholders filled.

    Choices are ``a|b`` within a word, or `` | `` between whole options (``--export md|json | --link``).
    """
    text = re.sub(r"(?: \| \S+)+", "", usage.replace("[", "").replace("]", ""))
    text = re.sub(r"(\S+?)\|\S+", r"\1", text)
    return re.sub(r"\b[A-Z]+\b", lambda word: EXAMPLE_VALUES.get(word.group(), word.group()), text)


def test_the_reference_lists_every_command_in_help_order() -> None:
    """One entry per command name, in the vocabulary's order."""
    assert tuple(entry.name for entry in command_reference()) == COMMAND_NAMES


def test_read_only_commands_are_marked() -> None:
    """``help`` can tell at a glance which commands change nothing."""
    assert {entry.name for entry in command_reference() if entry.read_only} == READ_ONLY_COMMANDS


@pytest.mark.parametrize("entry", command_reference(), ids=lambda entry: entry.name)
def test_every_usage_line_parses_to_its_own_command(entry: CommandReference) -> None:
    """Following a usage line literally gives a command of that name, so help never lies."""
    assert parse(example(entry.usage)).name == entry.name


@pytest.mark.parametrize(
    ("alias", "name"),
    [(alias, entry.name) for entry in command_reference() for alias in entry.aliases],
    ids=str,
)
def test_every_listed_kubectl_spelling_parses_to_its_command(alias: str, name: str) -> None:
    """The kubectl spellings help advertises are really accepted."""
    assert parse(example(alias)).name == name


@pytest.mark.parametrize(
    ("topic", "names"),
    [
        pytest.param("scale", ("scale",), id="command"),
        pytest.param("upgrade", ("upgrade plan", "upgrade control-plane", "upgrade nodes"), id="group"),
        pytest.param("nothing", (), id="unknown"),
    ],
)
def test_help_topics_select_a_command_or_a_group(topic: str, names: tuple[str, ...]) -> None:
    """``help scale`` covers one command; ``help upgrade`` covers the whole group."""
    assert tuple(entry.name for entry in reference_for(topic)) == names


def test_usage_lines_contain_no_slack_markup() -> None:
    """Usage lines never use angle brackets, which Slack would read as markup."""
    assert not any("<" in entry.usage or ">" in entry.usage for entry in command_reference())


def test_help_on_one_command_shows_its_example_in_plain_text_too() -> None:
    """`help drain` in the console (and any plain-text chat) gives the same example as Slack's blocks."""
    [drain] = [entry for entry in command_reference() if entry.name == "drain"]
    text = help_text(allowed=["drain"], topic="drain")
    assert f"Example: `{drain.example}`" in text
    assert parse(drain.example).name == "drain"
