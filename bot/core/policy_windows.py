"""The policy's change windows and freeze rules, read and checked with the rest of the file.

::

    windows:                           # optional: name -> weekly ranges and a time zone
      sat-night: sat 22:00-sun 04:00 Europe/Berlin
      weeknights: mon 22:00-tue 04:00, wed 22:00-thu 04:00 UTC
    rules:
      - commands: [drain, "upgrade nodes"]
        allow: [oncall]
        clusters: [prod-eu]
        window: sat-night              # optional: these commands run only inside it
    clusters:
      prod-eu: {window: sat-night}   # optional: every change on this cluster runs inside it
    freezes:                           # optional: without it nobody may freeze
      by: [leads]                      #   who may freeze and unfreeze
      incident: [incident]             #   who approves a break-glass during a freeze

A cluster's ``window`` applies to every command that changes something there (read-only commands
run at once); a rule's ``window`` (per command group, and per cluster through its ``clusters``) wins
over the cluster's for the commands the rule decides. Problems are reported through the policy reader, with the entry's path, like every other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.core.policy import FreezeRules
from shared.messages import policy as policy_messages
from shared.messages import windows as messages
from shared.windows import Window, WindowError, parse_window

Report = Callable[[str, str], None]
"""Records one problem: its path in the document, and the sentence."""

Principals = Callable[..., tuple[str, ...]]
"""The reader's principal list check (``allow``/``approvers``), reused for the freeze groups."""


def read_windows(document: Mapping[object, object], *, report: Report) -> tuple[Window, ...]:
    """The ``windows`` mapping, each checked; a bad one is reported and left out."""
    value = document.get("windows", {})
    if not isinstance(value, dict):
        report(
            "windows",
            policy_messages.wrong_type(
                expected="a mapping of window names to ranges", got=policy_messages.kind_of(value)
            ),
        )
        return ()
    windows: list[Window] = []
    for name, spec in value.items():
        path = f"windows.{name}"
        if not isinstance(spec, str):
            report(path, policy_messages.wrong_type(expected="a window", got=policy_messages.kind_of(spec)))
            continue
        try:
            windows.append(parse_window(str(name), spec))
        except WindowError as error:
            report(path, str(error))
    return tuple(windows)


def read_rule_window(
    path: str, entry: Mapping[object, object], *, windows: tuple[Window, ...], report: Report
) -> str | None:
    """A rule's ``window``: the name of a window the policy defines, or None."""
    if "window" not in entry:
        return None
    name = entry["window"]
    known = [window.name for window in windows]
    if not isinstance(name, str) or name not in known:
        report(path, messages.unknown_window(name=str(name), known=known))
        return None
    return name


def read_cluster_windows(
    document: Mapping[object, object], *, windows: tuple[Window, ...], report: Report
) -> tuple[tuple[str, str], ...]:
    """``clusters.NAME.window``: (cluster, window name) pairs (the cluster settings are checked elsewhere)."""
    clusters = document.get("clusters", {})
    if not isinstance(clusters, dict):
        return ()
    pairs: list[tuple[str, str]] = []
    for cluster, settings in clusters.items():
        if isinstance(settings, dict):
            name = read_rule_window(f"clusters.{cluster}.window", settings, windows=windows, report=report)
            if name is not None:
                pairs.append((str(cluster), name))
    return tuple(pairs)


def read_freezes(
    document: Mapping[object, object],
    *,
    report: Report,
    principals: Principals,
    check_keys: Callable[..., None],
) -> FreezeRules | None:
    """The ``freezes`` entry: who may freeze, and the incident group that approves a break-glass."""
    if "freezes" not in document:
        return None
    value = document["freezes"]
    if not isinstance(value, dict):
        report(
            "freezes",
            policy_messages.wrong_type(
                expected="a mapping with 'by' and 'incident'", got=policy_messages.kind_of(value)
            ),
        )
        return None
    check_keys("freezes", value, ("by", "incident"))
    by = principals("freezes.by", value, key="by", hint="list who may freeze and unfreeze")
    incident = principals(
        "freezes.incident", value, key="incident", hint="list who approves a break-glass during a freeze"
    )
    return FreezeRules(by=by, incident=incident)
