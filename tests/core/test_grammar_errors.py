"""parse() refuses what it cannot run: each mistake gets its own explanation and the usage line."""

from __future__ import annotations

import pytest

from shared.errors import UsageError
from shared.grammar import parse
from shared.messages import usage as messages
from shared.names import NameKind


def usage(problem: str, command: str) -> str:
    """The full message of a usage error about ``command``."""
    return messages.usage_error(problem, command=command)


UNKNOWN = [
    pytest.param("", messages.empty_command(), id="empty"),
    pytest.param("<@U123ABC>", messages.empty_command(), id="only-a-mention"),
    pytest.param("kubectl", messages.empty_command(), id="only-kubectl"),
    pytest.param(
        "scael web 3", messages.unknown_command("scael", suggestions=["scale", "cancel"]), id="typo"
    ),
    pytest.param(
        "rolback web", messages.unknown_command("rolback", suggestions=["rollback", "backup"]), id="typo-2"
    ),
    pytest.param("frobnicate", messages.unknown_command("frobnicate", suggestions=[]), id="no-suggestion"),
    pytest.param(
        "upgrade",
        messages.missing_subcommand("upgrade", choices=["plan", "control-plane", "nodes"]),
        id="group-alone",
    ),
    pytest.param(
        "upgrade plna",
        messages.unknown_subcommand(
            "upgrade", "plna", choices=["plan", "control-plane", "nodes"], suggestions=["plan"]
        ),
        id="group-typo",
    ),
    pytest.param(
        "rollout",
        messages.missing_subcommand(
            "rollout", choices=["undo", "restart", "status", "history", "pause", "resume"]
        ),
        id="rollout-alone",
    ),
]

WRONG_ARGUMENTS = [
    pytest.param("status", usage(messages.missing_argument("DEPLOY"), "status"), id="missing-deployment"),
    pytest.param("cordon", usage(messages.missing_argument("NODE"), "cordon"), id="missing-node"),
    pytest.param("scale web", usage(messages.missing_argument("REPLICAS"), "scale"), id="missing-replicas"),
    pytest.param("image web", usage(messages.missing_argument("IMAGE"), "image"), id="missing-image"),
    pytest.param(
        "strategy web", usage(messages.missing_argument("STRATEGY"), "strategy"), id="missing-strategy"
    ),
    pytest.param(
        "upgrade control-plane",
        usage(messages.missing_argument("VERSION"), "upgrade control-plane"),
        id="missing-version",
    ),
    pytest.param(
        "etcd restore", usage(messages.missing_argument("SNAPSHOT"), "etcd restore"), id="missing-snapshot"
    ),
    pytest.param("cancel", usage(messages.missing_argument("JOB"), "cancel"), id="missing-job"),
    pytest.param("note", usage(messages.missing_argument("TEXT"), "note"), id="missing-text"),
    pytest.param(
        "incident open", usage(messages.missing_argument("TITLE"), "incident open"), id="missing-title"
    ),
    pytest.param('note ""', usage(messages.empty_text("TEXT"), "note"), id="empty-text"),
    pytest.param(
        "note " + "x" * 2001, usage(messages.text_too_long("TEXT", limit=2000), "note"), id="text-too-long"
    ),
    pytest.param(
        'incident open "DB down" now',
        usage(messages.quote_whole_text("TITLE"), "incident open"),
        id="words-after-quoted-title",
    ),
    pytest.param("nodes all", usage(messages.unexpected_arguments(["all"]), "nodes"), id="extra-argument"),
    pytest.param(
        "approve job-1",
        usage(messages.invalid_name(NameKind.APPROVAL, "job-1"), "approve"),
        id="not-an-approval",
    ),
    pytest.param(
        "approve apr-1 now", usage(messages.unexpected_arguments(["now"]), "approve"), id="extra-words"
    ),
    pytest.param(
        "scale web 3 4", usage(messages.unexpected_arguments(["4"]), "scale"), id="extra-after-replicas"
    ),
    pytest.param(
        "scale web 3 --replicas 4",
        usage(messages.conflicting("REPLICAS", "`--replicas`"), "scale"),
        id="replicas-twice",
    ),
    pytest.param(
        "backup config shop --all",
        usage(messages.conflicting("a namespace", "`--all`"), "backup config"),
        id="namespace-and-all",
    ),
    pytest.param(
        "backup config shop -n web",
        usage(messages.conflicting("NAMESPACE", "`--namespace`"), "backup config"),
        id="namespace-twice",
    ),
    pytest.param(
        "timeline --link --export md",
        usage(messages.conflicting("`--export`", "`--link`"), "timeline"),
        id="timeline-link-and-export",
    ),
    pytest.param(
        "timeline --link --revoke-links",
        usage(messages.conflicting("`--link`", "`--revoke-links`"), "timeline"),
        id="timeline-link-and-revoke",
    ),
    pytest.param(
        "help nothing", usage(messages.unknown_help_topic("nothing", suggestions=[]), "help"), id="help"
    ),
]

OPTION_MISTAKES = [
    pytest.param(
        "drain node-1 --forse",
        usage(messages.unknown_option("--forse", suggestions=["--force"]), "drain"),
        id="unknown-option-suggested",
    ),
    pytest.param(
        "cordon node-1 -n shop",
        usage(messages.unknown_option("-n", suggestions=[]), "cordon"),
        id="namespace-on-node-command",
    ),
    pytest.param(
        "nodes --cluster", usage(messages.option_needs_value("--cluster"), "nodes"), id="value-missing-at-end"
    ),
    pytest.param(
        "nodes --cluster --dry-run",
        usage(messages.option_needs_value("--cluster"), "nodes"),
        id="value-missing-before-option",
    ),
    pytest.param(
        "nodes --cluster=", usage(messages.option_needs_value("--cluster"), "nodes"), id="empty-value"
    ),
    pytest.param(
        "status web -n a -n b", usage(messages.option_repeated("--namespace"), "status"), id="option-repeated"
    ),
    pytest.param(
        "drain node-1 --force=maybe",
        usage(messages.flag_value("--force", "maybe"), "drain"),
        id="switch-value",
    ),
]

BAD_VALUES = [
    pytest.param(
        "status Web", usage(messages.invalid_name(NameKind.DEPLOYMENT, "Web"), "status"), id="uppercase"
    ),
    pytest.param(
        "status " + "a" * 64,
        usage(messages.invalid_name(NameKind.DEPLOYMENT, "a" * 64), "status"),
        id="deployment-too-long",
    ),
    pytest.param(
        "status web -n sh_op",
        usage(messages.invalid_name(NameKind.NAMESPACE, "sh_op"), "status"),
        id="namespace",
    ),
    pytest.param(
        "cordon -node", usage(messages.unknown_option("-node", suggestions=[]), "cordon"), id="dash-node"
    ),
    pytest.param(
        "cordon node..1", usage(messages.invalid_name(NameKind.NODE, "node..1"), "cordon"), id="node"
    ),
    pytest.param(
        "cordon <!channel>",
        usage(messages.invalid_name(NameKind.NODE, "<!channel>"), "cordon"),
        id="broadcast",
    ),
    pytest.param(
        "image web Web=nginx",
        usage(messages.invalid_name(NameKind.CONTAINER, "Web"), "image"),
        id="container",
    ),
    pytest.param(
        "image web =nginx", usage(messages.invalid_name(NameKind.CONTAINER, ""), "image"), id="no-container"
    ),
    pytest.param(
        "image web NGINX", usage(messages.invalid_name(NameKind.IMAGE, "NGINX"), "image"), id="image"
    ),
    pytest.param(
        "image web nginx:", usage(messages.invalid_name(NameKind.IMAGE, "nginx:"), "image"), id="empty-tag"
    ),
    pytest.param("cancel job/1", usage(messages.invalid_name(NameKind.JOB, "job/1"), "cancel"), id="job-id"),
    pytest.param(
        "timeline inc.1",
        usage(messages.invalid_name(NameKind.INCIDENT, "inc.1"), "timeline"),
        id="incident-id",
    ),
    pytest.param(
        "etcd restore ../etc",
        usage(messages.invalid_name(NameKind.SNAPSHOT, "../etc"), "etcd restore"),
        id="path",
    ),
    pytest.param(
        "backup show ../etc/passwd",
        usage(messages.invalid_name(NameKind.SNAPSHOT, "../etc/passwd"), "backup show"),
        id="backup-path",
    ),
    pytest.param(
        "backup restore", usage(messages.missing_argument("BACKUP"), "backup restore"), id="missing-backup"
    ),
    pytest.param(
        "backup secrets shop --include-secrets",
        usage(messages.unknown_option("--include-secrets", suggestions=[]), "backup secrets"),
        id="include-secrets-twice",
    ),
    pytest.param(
        "nodes --cluster 'prod eu'",
        usage(messages.invalid_name(NameKind.CLUSTER, "prod eu"), "nodes"),
        id="cluster",
    ),
    pytest.param(
        "rollout undo node/x",
        usage(messages.wrong_workload_kind("node/x"), "rollback"),
        id="node-where-deployment",
    ),
    pytest.param(
        "restart daemonset/log-agent",
        usage(messages.wrong_kind("daemonset/log-agent", expected=NameKind.DEPLOYMENT), "restart"),
        id="daemonset-where-only-deployments-restart",
    ),
    pytest.param(
        "cordon deployment/web",
        usage(messages.wrong_kind("deployment/web", expected=NameKind.NODE), "cordon"),
        id="deployment-where-node",
    ),
    pytest.param(
        "restart pod/web-1",
        usage(messages.wrong_kind("pod/web-1", expected=NameKind.DEPLOYMENT), "restart"),
        id="pod",
    ),
    pytest.param(
        "upgrade nodes latest", usage(messages.invalid_version("latest"), "upgrade nodes"), id="version-word"
    ),
    pytest.param(
        "upgrade plan 1.32.0.1",
        usage(messages.invalid_version("1.32.0.1"), "upgrade plan"),
        id="version-4-parts",
    ),
    pytest.param(
        "scale web 10001",
        usage(messages.invalid_number("REPLICAS", "10001", minimum=0, maximum=10_000), "scale"),
        id="replicas-too-many",
    ),
    pytest.param(
        "scale web -1",
        usage(messages.invalid_number("REPLICAS", "-1", minimum=0, maximum=10_000), "scale"),
        id="replicas-negative",
    ),
    pytest.param(
        "scale web three",
        usage(messages.invalid_number("REPLICAS", "three", minimum=0, maximum=10_000), "scale"),
        id="replicas-word",
    ),
    pytest.param(
        "rollback web --to-revision -2",
        usage(messages.invalid_number("`--to-revision`", "-2", minimum=0, maximum=2**31 - 1), "rollback"),
        id="revision-negative",
    ),
    pytest.param(
        "drain node-1 --grace-period -1",
        usage(messages.invalid_grace_period("-1", maximum=86_400), "drain"),
        id="grace-period-minus-one",
    ),
    pytest.param(
        "drain node-1 --grace-period 1.5",
        usage(messages.invalid_grace_period("1.5", maximum=86_400), "drain"),
        id="grace-period-fraction",
    ),
    pytest.param(
        "drain node-1 --timeout soon",
        usage(messages.invalid_duration("--timeout", "soon", maximum="24h"), "drain"),
        id="timeout-word",
    ),
    pytest.param(
        "drain node-1 --timeout 0s",
        usage(messages.invalid_duration("--timeout", "0s", maximum="24h"), "drain"),
        id="timeout-zero",
    ),
    pytest.param(
        "drain node-1 --timeout 2d",
        usage(messages.invalid_duration("--timeout", "2d", maximum="24h"), "drain"),
        id="timeout-too-long",
    ),
    pytest.param(
        "strategy web sideways",
        usage(messages.invalid_choice("STRATEGY", "sideways", choices=("rolling", "recreate")), "strategy"),
        id="strategy-type",
    ),
    pytest.param(
        "strategy web recreate --max-unavailable 1",
        usage(messages.rolling_only_option("--max-unavailable"), "strategy"),
        id="recreate-with-limit",
    ),
    pytest.param(
        "strategy web rolling --max-surge lots",
        usage(messages.invalid_int_or_percent("--max-surge", "lots"), "strategy"),
        id="surge-word",
    ),
    pytest.param(
        "strategy web rolling --max-unavailable 101%",
        usage(messages.percent_over_hundred("--max-unavailable"), "strategy"),
        id="unavailable-over-100-percent",
    ),
    pytest.param(
        "strategy web rolling --max-surge 0 --max-unavailable 0%",
        usage(messages.surge_and_unavailable_both_zero(), "strategy"),
        id="both-zero",
    ),
    pytest.param(
        "upgrade nodes v1.32 --strategy fast",
        usage(
            messages.invalid_choice(
                "`--strategy`", "fast", choices=("all-at-once", "one-at-a-time", "surge")
            ),
            "upgrade nodes",
        ),
        id="node-strategy",
    ),
    pytest.param(
        "upgrade nodes v1.32 --nodes a,,b",
        usage(messages.empty_node_list(), "upgrade nodes"),
        id="empty-node-entry",
    ),
    pytest.param(
        "upgrade nodes v1.32 --nodes a,deploy/b",
        usage(messages.wrong_kind("deploy/b", expected=NameKind.NODE), "upgrade nodes"),
        id="wrong-kind-in-node-list",
    ),
    pytest.param(
        "timeline --export pdf",
        usage(messages.invalid_choice("`--export`", "pdf", choices=("json", "md")), "timeline"),
        id="export-format",
    ),
]


@pytest.mark.parametrize(("text", "message"), [*UNKNOWN, *WRONG_ARGUMENTS, *OPTION_MISTAKES, *BAD_VALUES])
def test_each_mistake_is_explained(text: str, message: str) -> None:
    """The error names what is wrong and, once the verb is known, shows that command's usage."""
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_a_usage_error_names_the_command_it_was_about() -> None:
    """Adapters can tell which command the person meant, by its policy name."""
    with pytest.raises(UsageError) as caught:
        parse("rollout undo node/x")
    assert caught.value.command == "rollback"


def test_an_unknown_verb_names_no_command() -> None:
    """When even the verb is unknown, there is no command to name."""
    with pytest.raises(UsageError) as caught:
        parse("frobnicate web")
    assert caught.value.command is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("cordon <!channel>", id="channel"),
        pytest.param("cordon <!here>", id="here"),
        pytest.param("status <@U999|boss>", id="user-mention"),
        pytest.param("status <#C123|ops>", id="channel-link"),
        pytest.param("<!channel> nodes", id="broadcast-as-verb"),
        pytest.param("scale web <https://evil.example|3>x", id="disguised-link"),
        pytest.param("nodes --cluster &lt;!channel&gt;", id="escaped-broadcast"),
        pytest.param("drain node-1 --`x`", id="backticks"),
    ],
)
def test_an_error_never_echoes_slack_control_sequences(text: str) -> None:
    """Whatever the person typed, the error cannot ping, mention or link when the bot posts it."""
    with pytest.raises(UsageError) as caught:
        parse(text)
    message = str(caught.value)
    assert "<" not in message and ">" not in message
    assert "@channel" not in message and "@here" not in message
