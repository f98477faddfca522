"""Whatever arrives from chat, parse() returns a command or raises a UsageError that is safe to post."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from shared.commands import Command
from shared.errors import UsageError
from shared.grammar import parse
from shared.vocabulary import COMMAND_NAMES
from tests.support.drill_trials import session_seed, trial_count
from tests.support.drills import Family, Tally

FORBIDDEN = ("<!channel>", "<!here>", "<@", "<#", "<http", "<mailto", "<", ">")

VERBS = [
    *COMMAND_NAMES,
    "kubectl",
    "rollout undo",
    "rollout restart",
    "set image",
    "get nodes",
    "upgrade",
    "etcd",
    "SCALE",
    "Rollout Undo",
]
OPTIONS = [
    "-n",
    "-n=",
    "--namespace",
    "--namespace=",
    "--cluster",
    "--cluster=",
    "--dry-run",
    "--dry-run=",
    "--force",
    "--force=",
    "--delete-emptydir-data",
    "--delete-local-data",
    "--ignore-daemonsets",
    "--grace-period",
    "--timeout",
    "--to-revision",
    "--replicas",
    "--max-surge",
    "--max-unavailable",
    "--strategy",
    "--nodes",
    "--all",
    "-A",
    "--export",
    "\u2014dry-run",
    "-",
    "--",
]
SLACK_PIECES = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<@U123|bob>",
    "<#C123|ops>",
    "<https://evil.example|web>",
    "<http://node-1.example.com>",
    "<mailto:a@b.io|a@b.io>",
    "&lt;!channel&gt;",
    "&amp;",
    "`",
    "```",
    "\u201c",
    "\u201d",
    "\u2018",
    '"',
    "'",
    "@channel",
    "\u202e",
]
VALUES = [
    "web",
    "node-1",
    "deployment/web",
    "deploy/web",
    "node/node-1",
    "pod/x",
    "web=nginx:1.27",
    "nginx:1.27",
    "3",
    "-1",
    "0",
    "10001",
    "25%",
    "101%",
    "v1.32",
    "1.32.0",
    "5m",
    "0s",
    "surge",
    "md",
    "rolling",
    "recreate",
    "a,,b",
    "INC-1",
    "true",
    "client",
]

token = st.one_of(
    st.sampled_from(OPTIONS),
    st.sampled_from(VALUES),
    st.sampled_from(SLACK_PIECES),
    st.text(min_size=1, max_size=12),
    st.builds("".join, st.lists(st.sampled_from([*OPTIONS, *VALUES, *SLACK_PIECES, "=", "/"]), max_size=3)),
)
near_valid = st.builds(
    lambda mention, verb, tokens, glue: mention + verb + glue + glue.join(tokens),
    st.sampled_from(["", "<@U123ABC> ", "<@U1|bot>: ", "kubectl "]),
    st.sampled_from(VERBS),
    st.lists(token, max_size=6),
    st.sampled_from([" ", "  ", "\u00a0", "\n"]),
)
chat_text = st.one_of(st.text(), near_valid)


def assert_safe(text: str) -> None:
    """Fail if ``text`` could ping, mention or link when posted to Slack."""
    for sequence in FORBIDDEN:
        assert sequence not in text, (sequence, text)


def check_one(text: str, drill: Tally) -> None:
    """``text`` parses to a command, or is refused with a UsageError saying something safe to post."""
    drill.tried(Family.PARSER_FUZZ)
    try:
        command = parse(text)
    except UsageError as error:
        assert str(error).strip(), text  # the reply is never empty
        assert_safe(str(error))
        return
    except Exception:
        drill.lost(Family.PARSER_FUZZ, 1)  # the message would be dropped without an answer
        raise
    assert isinstance(command, Command)
    assert command.name in COMMAND_NAMES
    for field in dataclasses.fields(command):
        value = getattr(command, field.name)
        if isinstance(value, str):
            assert_safe(value)
    assert_safe(command.target)


@pytest.mark.drill(Family.PARSER_FUZZ)
def test_parse_raises_nothing_but_usage_errors_and_their_messages_are_safe_to_post(
    pytestconfig: pytest.Config, drill: Tally
) -> None:
    """Any input gives a command or a UsageError whose message has no Slack control sequence in it:
    10,000 generated inputs in ``make reliability`` (1,000 in ``make test``), drawn from the drill seed."""
    examples = trial_count(pytestconfig, trials=10_000, quick=1_000)

    @settings(max_examples=examples, deadline=None, database=None)
    @seed(session_seed(pytestconfig))
    @given(chat_text)
    def check(text: str) -> None:
        check_one(text, drill)

    check()
