"""Every sentence the grammar shows: usage lines, summaries, and why a command was not understood.

A usage error is read by the person who just typed the command, so each says what was wrong, then
shows how to write it. Every fragment of their input that appears here goes through
:func:`shared.text.echo` (shortened, escaped for chat, shown as code), so an error can never ping
a channel or render a disguised link. Usage lines use UPPERCASE placeholders and never angle brackets,
which Slack would try to read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.names import NameKind
from shared.text import echo

_USAGE: dict[str, str] = {
    "help": "help [COMMAND]",
    "nodes": "nodes",
    "status": "status DEPLOY|ds/NAME|sts/NAME [-n NAMESPACE]",
    "history": "history DEPLOY|ds/NAME|sts/NAME [-n NAMESPACE]",
    "jobs": "jobs",
    "cordon": "cordon NODE",
    "uncordon": "uncordon NODE",
    "drain": "drain NODE [--force] [--delete-emptydir-data] [--grace-period SECONDS] [--timeout DURATION]",
    "maintain": "maintain NODE",
    "unmaintain": "unmaintain NODE",
    "rollback": "rollback DEPLOY|ds/NAME|sts/NAME [--to-revision N] [-n NAMESPACE]",
    "restart": "restart DEPLOY [-n NAMESPACE]",
    "scale": "scale DEPLOY REPLICAS [-n NAMESPACE]",
    "image": "image DEPLOY [CONTAINER=]IMAGE [-n NAMESPACE]",
    "strategy": (
        "strategy DEPLOY rolling|recreate [--max-surge N|N%] [--max-unavailable N|N%] [-n NAMESPACE]"
    ),
    "pause": "pause DEPLOY [-n NAMESPACE]",
    "resume": "resume DEPLOY [-n NAMESPACE]",
    "upgrade plan": "upgrade plan [VERSION]",
    "upgrade control-plane": "upgrade control-plane VERSION",
    "upgrade nodes": (
        "upgrade nodes VERSION [--strategy one-at-a-time|all-at-once|surge] [--nodes NODE,NODE] "
        "[--force] [--delete-emptydir-data]"
    ),
    "backup config": "backup config [NAMESPACE|--all]",
    "backup secrets": "backup config [NAMESPACE|--all] --include-secrets",
    "backup list": "backup list",
    "backup show": "backup show BACKUP",
    "backup restore": "backup restore BACKUP [-n NAMESPACE]",
    "etcd snapshot": "etcd snapshot",
    "etcd status": "etcd status SNAPSHOT",
    "etcd restore": "etcd restore SNAPSHOT",
    "cancel": "cancel JOB",
    "incident open": "incident open TITLE",
    "incident close": "incident close",
    "note": "note TEXT",
    "timeline": "timeline [INCIDENT] [--export md|json | --link | --revoke-links]",
    "approve": "approve [APPROVAL]",
    "deny": "deny [APPROVAL] [REASON]",
}

_SUMMARY: dict[str, str] = {
    "help": "List the commands, or explain one.",
    "nodes": "List nodes with their status, schedulability and version.",
    "status": "Show a deployment's (daemonset's, statefulset's) rollout status.",
    "history": "Show a deployment's (daemonset's, statefulset's) revisions.",
    "jobs": "List running and recent jobs.",
    "cordon": "Stop new pods from being scheduled on a node.",
    "uncordon": "Let pods be scheduled on a node again.",
    "drain": "Cordon a node and evict its pods (DaemonSet pods stay).",
    "maintain": "Put a node into maintenance: cordon and drain it, and note it on the timeline.",
    "unmaintain": "Take a node out of maintenance: uncordon it.",
    "rollback": "Roll a deployment, daemonset or statefulset back to the previous revision, or to --to-revision N.",
    "restart": "Restart every pod of a deployment, one batch at a time.",
    "scale": "Set a deployment's number of replicas (0 to 10000).",
    "image": "Change a container's image; the container can be left out if there is only one.",
    "strategy": "Set a deployment's update strategy and its surge and unavailability limits.",
    "pause": "Pause a deployment's rollout.",
    "resume": "Resume a paused rollout.",
    "upgrade plan": "Show what upgrading the cluster to a version would do; changes nothing.",
    "upgrade control-plane": "Upgrade the control plane to a version.",
    "upgrade nodes": "Upgrade nodes to a version, one at a time, all at once or with a surge node.",
    "backup config": (
        "Back up a namespace's configuration, or every namespace's with --all; "
        "--include-secrets needs the policy's `backup secrets`."
    ),
    "backup secrets": "Back up a namespace's configuration with its Secrets (same as `backup config --include-secrets`).",
    "backup list": "List the stored configuration backups and etcd snapshots, newest first.",
    "backup show": "Show a backup's objects by kind, with its checksums verified.",
    "backup restore": "Preview restoring a configuration backup: what would be created or changed (changes nothing).",
    "etcd snapshot": "Take an etcd snapshot.",
    "etcd status": "Check an etcd snapshot.",
    "etcd restore": "Restore etcd from a snapshot.",
    "cancel": "Cancel a queued or running job: your own, or one whose kind of work you may approve.",
    "incident open": "Open an incident; what happens next goes on its timeline.",
    "incident close": "Close the open incident.",
    "note": "Add a note to the timeline.",
    "timeline": "Show a timeline, export it as Markdown or JSON, or share an incident's web page by an expiring link (`--revoke-links` stops every link given so far).",
    "approve": "Approve the request (reply in its thread; name it when the thread holds several).",
    "deny": "Refuse the request, optionally saying why (reply in its thread; name it when the thread holds several).",
}

_EXAMPLE: dict[str, str] = {
    "help": "help drain",
    "nodes": "nodes",
    "status": "status web -n shop",
    "history": "history web -n shop",
    "jobs": "jobs",
    "cordon": "cordon node-1",
    "uncordon": "uncordon node-1",
    "drain": "drain node-1 --delete-emptydir-data --timeout 10m",
    "maintain": "maintain node-1",
    "unmaintain": "unmaintain node-1",
    "rollback": "rollback web --to-revision 3 -n shop",
    "restart": "restart web -n shop",
    "scale": "scale web 5 -n shop",
    "image": "image web web=nginx:1.27 -n shop",
    "strategy": "strategy web rolling --max-surge 25% --max-unavailable 0",
    "pause": "pause web -n shop",
    "resume": "resume web -n shop",
    "upgrade plan": "upgrade plan v1.32.1",
    "upgrade control-plane": "upgrade control-plane v1.32.1",
    "upgrade nodes": "upgrade nodes v1.32.1 --strategy one-at-a-time",
    "backup config": "backup config shop",
    "backup secrets": "backup config shop --include-secrets",
    "backup list": "backup list",
    "backup show": "backup show config-20261128T020000Z-job-1-shop.yaml",
    "backup restore": "backup restore config-20261128T020000Z-job-1-shop.yaml -n shop",
    "etcd snapshot": "etcd snapshot",
    "etcd status": "etcd status snap-1",
    "etcd restore": "etcd restore snap-1",
    "cancel": "cancel job-1",
    "incident open": 'incident open "checkout errors"',
    "incident close": "incident close",
    "note": 'note "drained node-1 by hand"',
    "timeline": "timeline INC-1 --export md",
    "approve": "approve",
    "deny": "deny not during the sale",
}

AREAS: tuple[str, ...] = ("Looking", "Nodes", "Deployments", "Upgrades", "Backups", "Jobs and incidents")
"""The areas ``help`` groups commands by, in the order it shows them."""

_AREA: dict[str, str] = {
    **dict.fromkeys(("help", "nodes", "status", "history", "jobs"), "Looking"),
    **dict.fromkeys(("cordon", "uncordon", "drain", "maintain", "unmaintain"), "Nodes"),
    **dict.fromkeys(("rollback", "restart", "scale", "image", "strategy", "pause", "resume"), "Deployments"),
    **dict.fromkeys(("upgrade plan", "upgrade control-plane", "upgrade nodes"), "Upgrades"),
    **dict.fromkeys(
        (
            "backup config",
            "backup secrets",
            "backup list",
            "backup show",
            "backup restore",
            "etcd snapshot",
            "etcd status",
            "etcd restore",
        ),
        "Backups",
    ),
    **dict.fromkeys(
        ("cancel", "incident open", "incident close", "note", "timeline", "approve", "deny"),
        "Jobs and incidents",
    ),
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "nodes": ("get nodes",),
    "status": ("rollout status deployment/DEPLOY", "rollout status daemonset/NAME"),
    "history": ("rollout history deployment/DEPLOY", "rollout history statefulset/NAME"),
    "drain": ("drain NODE --ignore-daemonsets --delete-local-data",),
    "rollback": (
        "rollout undo deployment/DEPLOY [--to-revision=N]",
        "rollout undo daemonset/NAME",
        "rollout undo statefulset/NAME",
    ),
    "restart": ("rollout restart deployment/DEPLOY",),
    "scale": ("scale deployment/DEPLOY --replicas=N",),
    "image": ("set image deployment/DEPLOY CONTAINER=IMAGE",),
    "pause": ("rollout pause deployment/DEPLOY",),
    "resume": ("rollout resume deployment/DEPLOY",),
    "backup config": (
        "backup config -n NAMESPACE",
        "backup config --all-namespaces",
    ),
    "backup secrets": ("backup secrets [NAMESPACE|--all]",),
}

_PLACEHOLDERS: dict[str, str] = {
    "DEPLOY": "the deployment's name, like `web`",
    "NODE": "the node's name, like `node-1`",
    "REPLICAS": "the number of replicas, from 0 to 10000",
    "IMAGE": "the image, like `nginx:1.27` or `web=nginx:1.27`",
    "STRATEGY": "`rolling` or `recreate`",
    "VERSION": "the Kubernetes version, like `v1.32` or `v1.32.0`",
    "SNAPSHOT": "the snapshot's name",
    "BACKUP": "the backup's name, as `backup list` shows it",
    "JOB": "the job id, as `jobs` shows it",
    "TITLE": 'a short title, like `"checkout errors"`',
    "TEXT": "what to note",
    "REASON": "why",
}

_NAME_RULES: dict[NameKind, str] = {
    NameKind.NODE: (
        "node names are lowercase letters, digits, `-` and `.`, start and end with a letter or digit, "
        "and have at most 253 characters"
    ),
    NameKind.DEPLOYMENT: (
        "deployment names are lowercase letters, digits and `-`, start and end with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.NAMESPACE: (
        "namespace names are lowercase letters, digits and `-`, start and end with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.CONTAINER: (
        "container names are lowercase letters, digits and `-`, start and end with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.IMAGE: "an image looks like `nginx:1.27` or `registry.example.com/team/web:v2`, all lowercase",
    NameKind.JOB: "job ids are letters, digits, `_` and `-`, at most 64; `jobs` lists them",
    NameKind.INCIDENT: "incident ids are letters, digits, `_` and `-`, at most 64",
    NameKind.APPROVAL: "approval ids start with `apr-` (the request names its id)",
    NameKind.CLUSTER: (
        "cluster names are letters, digits, `.`, `_` and `-`, start with a letter or digit, "
        "and have at most 63 characters"
    ),
    NameKind.SNAPSHOT: (
        "snapshot names are letters, digits, `.`, `_` and `-`, start with a letter or digit, "
        "and have at most 253 characters"
    ),
}


def usage_line(command: str) -> str:
    """How to write ``command`` (a policy name such as ``"upgrade nodes"``), without backticks."""
    return _USAGE[command]


def summary(command: str) -> str:
    """What ``command`` does, in one sentence."""
    return _SUMMARY[command]


def example(command: str) -> str:
    """A complete, runnable ``command`` with realistic values, as ``help`` shows it."""
    return _EXAMPLE[command]


def area(command: str) -> str:
    """The area of :data:`AREAS` that ``help`` lists ``command`` under."""
    return _AREA[command]


def aliases(command: str) -> tuple[str, ...]:
    """The kubectl-style spellings also accepted for ``command``; often none."""
    return _ALIASES.get(command, ())


def common_options() -> str:
    """The options every command takes, for the foot of ``help``."""
    return (
        "Every command also takes `--cluster NAME` and `--dry-run` (plan only, change nothing). "
        "kubectl spellings work too, with or without a leading `kubectl`."
    )


def usage_error(problem: str, *, command: str) -> str:
    """A usage error: the problem (already safe for chat), then how to write ``command``."""
    return f"{problem}\nUsage: `{usage_line(command)}`"


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    quoted = " or ".join(echo(suggestion) for suggestion in suggestions)
    return f" Did you mean {quoted}?"


def empty_command() -> str:
    """The reply to a mention with no command in it."""
    return "Tell me what to do, for example `nodes` or `status web`. Say `help` to see every command."


def unknown_command(word: str, *, suggestions: Sequence[str]) -> str:
    """The reply to a verb we do not know, with close matches when there are any."""
    return (
        f"I don't know the command {echo(word)}.{_did_you_mean(suggestions)} Say `help` to see every command."
    )


def missing_subcommand(group: str, *, choices: Sequence[str]) -> str:
    """The reply to a group word such as ``upgrade`` on its own."""
    options = ", ".join(echo(choice) for choice in choices)
    return f"{echo(group)} needs one more word: {options}. Say `help {group}` for details."


def unknown_subcommand(group: str, word: str, *, choices: Sequence[str], suggestions: Sequence[str]) -> str:
    """The reply to ``upgrade something-else``."""
    options = ", ".join(echo(choice) for choice in choices)
    return (
        f"{echo(group)} has no {echo(word)}.{_did_you_mean(suggestions)} "
        f"It takes one of: {options}. Say `help {group}` for details."
    )


def unknown_help_topic(topic: str, *, suggestions: Sequence[str]) -> str:
    """The problem when ``help`` is asked about something that is not a command."""
    return f"There is no command {echo(topic)}.{_did_you_mean(suggestions)}"


def missing_argument(placeholder: str) -> str:
    """The problem when a required argument is left out."""
    return f"{placeholder} is missing: {_PLACEHOLDERS[placeholder]}."


def unexpected_arguments(extra: Sequence[str]) -> str:
    """The problem when there are more arguments than the command takes."""
    return f"I don't know what to do with {echo(' '.join(extra))}; that is more than this command takes."


def unknown_option(option: str, *, suggestions: Sequence[str]) -> str:
    """The problem when an option is not one this command takes."""
    return f"{echo(option)} is not an option of this command.{_did_you_mean(suggestions)}"


def option_needs_value(option: str) -> str:
    """The problem when an option that takes a value has none."""
    return f"{echo(option)} needs a value after it."


def option_repeated(option: str) -> str:
    """The problem when an option is given twice."""
    return f"{echo(option)} is given more than once; give it once."


def flag_value(option: str, value: str) -> str:
    """The problem when a switch is given a value other than true or false."""
    return f"{echo(option)} is a switch: write it on its own (or `=true` / `=false`), not with {echo(value)}."


def invalid_name(kind: NameKind, value: str) -> str:
    """The problem when a name breaks the rule for its kind."""
    return f"{echo(value)} is not a valid {kind} name: {_NAME_RULES[kind]}."


def wrong_kind(value: str, *, expected: NameKind) -> str:
    """The problem when a ``kind/name`` argument names the wrong kind, as in ``rollout undo node/x``."""
    return f"{echo(value)} is not a {expected}: this command works on {expected}s, like `{expected}/NAME`."


def wrong_workload_kind(value: str) -> str:
    """The problem when a rollout's ``kind/name`` names a kind with no rollouts, as in ``rollback node/x``."""
    return (
        f"{echo(value)} is not a deployment, daemonset or statefulset: this command works on "
        "`NAME` (a deployment), `daemonset/NAME` or `statefulset/NAME`."
    )


def conflicting(first: str, second: str) -> str:
    """The problem when two ways of saying the same thing are both used."""
    return f"Give either {first} or {second}, not both."


def invalid_version(value: str) -> str:
    """The problem when a version does not look like ``v1.32`` or ``v1.32.0``."""
    return f"{echo(value)} is not a Kubernetes version: write it like `v1.32` or `v1.32.0`."


def invalid_number(what: str, value: str, *, minimum: int, maximum: int) -> str:
    """The problem when a whole number is malformed or out of range."""
    return f"{what} must be a whole number from {minimum} to {maximum}, not {echo(value)}."


def invalid_grace_period(value: str, *, maximum: int) -> str:
    """The problem with ``--grace-period``: only 0 and more, because leaving it out means kubectl's -1."""
    return (
        f"`--grace-period` takes whole seconds from 0 to {maximum}, not {echo(value)}. "
        "Leave it out to give each pod its own grace period (what kubectl writes as -1)."
    )


def invalid_duration(option: str, value: str, *, maximum: str) -> str:
    """The problem when a duration is malformed, zero or too long."""
    return (
        f"{echo(option)} takes a duration like `90s`, `15m` or `1h30m`, more than zero and at most "
        f"{maximum}, not {echo(value)}."
    )


def invalid_int_or_percent(option: str, value: str) -> str:
    """The problem when ``--max-surge`` or ``--max-unavailable`` is neither a count nor a percentage."""
    return f"{echo(option)} takes a number of pods or a percentage, like `1` or `25%`, not {echo(value)}."


def percent_over_hundred(option: str) -> str:
    """The problem when ``--max-unavailable`` is above 100%."""
    return f"{echo(option)} can't be more than 100%."


def surge_and_unavailable_both_zero() -> str:
    """The problem when a rolling update could never make progress."""
    return "`--max-surge` and `--max-unavailable` can't both be 0, or the rollout could never progress."


def rolling_only_option(option: str) -> str:
    """The problem when a rolling-update limit is given with ``recreate``."""
    return f"{echo(option)} only applies to the `rolling` strategy; `recreate` replaces every pod at once."


def invalid_choice(what: str, value: str, *, choices: Sequence[str]) -> str:
    """The problem when a value must be one of a few words."""
    options = ", ".join(f"`{choice}`" for choice in choices)
    return f"{what} must be one of {options}, not {echo(value)}."


def empty_node_list() -> str:
    """The problem when ``--nodes`` has an empty entry."""
    return "`--nodes` takes node names separated by commas, like `node-1,node-2`, with no empty entries."


def empty_text(placeholder: str) -> str:
    """The problem when a quoted TEXT, TITLE or REASON is empty."""
    return f"{placeholder} is empty: {_PLACEHOLDERS[placeholder]}."


def text_too_long(placeholder: str, *, limit: int) -> str:
    """The problem when free text is longer than we store."""
    return f"{placeholder} is too long: keep it to {limit} characters."


def quote_whole_text(placeholder: str) -> str:
    """The problem when text after a quoted TITLE is neither an option nor part of it."""
    return f"Put the whole {placeholder} in quotes, or leave the quotes out."
