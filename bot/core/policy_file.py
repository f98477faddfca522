"""Reading a policy from YAML, checking all of it at once, so a bad file fails at start-up, not in chat.

The schema (see :mod:`bot.core.policy` for what each part means when deciding)::

    default_namespace: default       # optional, default "default"
    channels: [C0OPS]                # optional: commands are accepted only in these channel ids
    channel_clusters:                # optional: channel id -> the cluster its commands go to by default
      C0OPS: prod-eu                 #   (``--cluster`` still wins; other channels use CHATOPS_CLUSTER)
    groups:                          # optional: name -> user ids (U…/W…) and Slack user-group ids (S…)
      oncall: [U01ALICE, U02BOB]
    rules:                           # required, at least one; first match decides
      - commands: [drain, "upgrade nodes"]   # as typed; "*" = every command except approve/deny
        allow: [oncall]                      # group names, user ids, S… ids, or "*"
        namespaces: [prod]                   # optional; "*" = any, including cluster-wide commands
        clusters: ["*"]                      # optional
        approval: {approvers: [leads], count: 1, ttl: 15m}   # optional; count defaults to 1, ttl to 15m

Every problem is collected before anything is raised, so one :class:`PolicyError` lists them all,
each with the file line and the path of the offending entry (``rules[2].commands[1]``; list
indexes count from 0 here, while refusals in chat count rules from 1: "rule 3"). The checks themselves,
beyond shapes and spellings, are :class:`~bot.core.policy_reading.PolicyReader`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import yaml

from bot.core.policy import Policy
from bot.core.policy_reading import PolicyProblem, PolicyReader, join_path
from shared.messages import policy as messages
from shared.registry import REGISTRY, Registry

__all__ = ["PolicyError", "PolicyProblem", "demo_policy", "load_policy", "load_policy_file"]


class PolicyError(ValueError):
    """A policy that cannot be used; ``problems`` lists everything wrong, in file order."""

    def __init__(self, *, source: str, problems: Sequence[PolicyProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """The whole report, one ``file:line: path: message`` line per problem."""
        lines = [
            messages.problem(
                where=self.source if problem.line is None else f"{self.source}:{problem.line}",
                path=problem.path,
                message=problem.message,
            )
            for problem in self.problems
        ]
        return messages.policy_invalid(source=self.source, problems=lines)


def load_policy(text: str, *, source: str = "<policy>", registry: Registry = REGISTRY) -> Policy:
    """Read and check a policy written in YAML; raise :class:`PolicyError` listing every problem.

    Rules may name the commands of ``registry``, and the policy decides over them.
    """
    try:
        document = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        detail = str(getattr(error, "problem", None) or error)
        problem = PolicyProblem(path="", message=messages.yaml_syntax(detail=detail), line=line)
        raise PolicyError(source=source, problems=[problem]) from error
    reader = PolicyReader(lines=_line_index(root), registry=registry)
    policy = reader.policy(document, source=source)
    if reader.problems or policy is None:
        raise PolicyError(source=source, problems=reader.problems)
    return policy


def load_policy_file(path: Path) -> Policy:
    """Read and check the policy file at ``path``; an unreadable file is a :class:`PolicyError` too."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = PolicyProblem(path="", message=messages.unreadable(detail=str(error)))
        raise PolicyError(source=str(path), problems=[problem]) from error
    return load_policy(text, source=str(path))


@functools.cache
def demo_policy() -> Policy:
    """The built-in demo policy (``bot/policies/demo.yaml``): four demo users, every path reachable."""
    text = resources.files("bot.policies").joinpath("demo.yaml").read_text(encoding="utf-8")
    return load_policy(text, source="bot/policies/demo.yaml")


def _line_index(node: yaml.Node | None, path: str = "") -> dict[str, int]:
    """Map each document path (``rules[2].allow[0]``) to the 1-based line where it is written."""
    lines: dict[str, int] = {}
    if node is None:
        return lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = join_path(path, str(key_node.value))
            lines.update(_line_index(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_index(item, f"{path}[{index}]"))
    return lines
