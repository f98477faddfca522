"""parse() as a specification of what people may type: every verb, kubectl spelling and option form."""

from __future__ import annotations

import pytest

from shared import commands as c
from shared.grammar import normalize_version, parse
from shared.vocabulary import COMMAND_NAMES

VERBS = [
    pytest.param("help", c.Help(), id="help"),
    pytest.param("help scale", c.Help(topic="scale"), id="help-command"),
    pytest.param("help upgrade nodes", c.Help(topic="upgrade nodes"), id="help-two-word-command"),
    pytest.param("help upgrade", c.Help(topic="upgrade"), id="help-group"),
    pytest.param("help rollout undo", c.Help(topic="rollback"), id="help-kubectl-spelling"),
    pytest.param("help kubectl get nodes", c.Help(topic="nodes"), id="help-with-kubectl"),
    pytest.param("nodes", c.Nodes(), id="nodes"),
    pytest.param("status web", c.Status(deployment="web"), id="status"),
    pytest.param("history web", c.History(deployment="web"), id="history"),
    pytest.param("jobs", c.Jobs(), id="jobs"),
    pytest.param("cordon node-1", c.Cordon(node="node-1"), id="cordon"),
    pytest.param("uncordon node-1", c.Uncordon(node="node-1"), id="uncordon"),
    pytest.param("drain node-1", c.Drain(node="node-1"), id="drain"),
    pytest.param("maintain node-1", c.Maintain(node="node-1"), id="maintain"),
    pytest.param("unmaintain node-1", c.Unmaintain(node="node-1"), id="unmaintain"),
    pytest.param("rollback web", c.Rollback(deployment="web"), id="rollback"),
    pytest.param("restart web", c.Restart(deployment="web"), id="restart"),
    pytest.param("scale web 3", c.Scale(deployment="web", replicas=3), id="scale"),
    pytest.param("image web nginx:1.27", c.Image(deployment="web", image="nginx:1.27"), id="image"),
    pytest.param(
        "strategy web recreate",
        c.Strategy(deployment="web", strategy=c.StrategyType.RECREATE),
        id="strategy",
    ),
    pytest.param("pause web", c.Pause(deployment="web"), id="pause"),
    pytest.param("resume web", c.Resume(deployment="web"), id="resume"),
    pytest.param("upgrade plan", c.UpgradePlan(), id="upgrade-plan"),
    pytest.param("upgrade plan v1.32", c.UpgradePlan(version="v1.32"), id="upgrade-plan-version"),
    pytest.param(
        "upgrade control-plane v1.32.1",
        c.UpgradeControlPlane(version="v1.32.1"),
        id="upgrade-control-plane",
    ),
    pytest.param("upgrade nodes v1.32.1", c.UpgradeNodes(version="v1.32.1"), id="upgrade-nodes"),
    pytest.param("backup config", c.BackupConfig(), id="backup-config"),
    pytest.param("backup config shop", c.BackupConfig(namespace="shop"), id="backup-config-namespace"),
    pytest.param("backup config --all", c.BackupConfig(all_namespaces=True), id="backup-config-all"),
    pytest.param(
        "backup config shop --include-secrets",
        c.BackupSecrets(namespace="shop"),
        id="backup-config-include-secrets",
    ),
    pytest.param("backup secrets --all", c.BackupSecrets(all_namespaces=True), id="backup-secrets-all"),
    pytest.param("backup list", c.BackupList(), id="backup-list"),
    pytest.param("backup show config-1.yaml", c.BackupShow(backup="config-1.yaml"), id="backup-show"),
    pytest.param(
        "backup restore config-1.yaml", c.BackupRestore(backup="config-1.yaml"), id="backup-restore"
    ),
    pytest.param(
        "backup restore config-1.yaml -n shop",
        c.BackupRestore(backup="config-1.yaml", namespace="shop"),
        id="backup-restore-namespace",
    ),
    pytest.param("etcd snapshot", c.EtcdSnapshot(), id="etcd-snapshot"),
    pytest.param("etcd status snap-2024.db", c.EtcdStatus(snapshot="snap-2024.db"), id="etcd-status"),
    pytest.param("etcd restore snap-2024.db", c.EtcdRestore(snapshot="snap-2024.db"), id="etcd-restore"),
    pytest.param("cancel job_42-a", c.Cancel(job="job_42-a"), id="cancel"),
    pytest.param(
        "incident open checkout errors", c.IncidentOpen(title="checkout errors"), id="incident-open"
    ),
    pytest.param("incident close", c.IncidentClose(), id="incident-close"),
    pytest.param("note drained node-1 by hand", c.Note(text="drained node-1 by hand"), id="note"),
    pytest.param("timeline", c.Timeline(), id="timeline"),
    pytest.param("timeline INC-7", c.Timeline(incident="INC-7"), id="timeline-incident"),
    pytest.param("approve", c.Approve(), id="approve"),
    pytest.param("deny", c.Deny(), id="deny"),
    pytest.param("deny not during peak", c.Deny(reason="not during peak"), id="deny-reason"),
    pytest.param("approve apr-1a2b3c", c.Approve(approval_id="apr-1a2b3c"), id="approve-named"),
    pytest.param("deny apr-1a2b3c", c.Deny(approval_id="apr-1a2b3c"), id="deny-named"),
    pytest.param(
        "deny apr-1a2b3c not during peak",
        c.Deny(approval_id="apr-1a2b3c", reason="not during peak"),
        id="deny-named-with-reason",
    ),
]

KUBECTL_SPELLINGS = [
    pytest.param("rollout undo deployment/web", c.Rollback(deployment="web"), id="rollout-undo"),
    pytest.param(
        "rollout undo deployment/web --to-revision=3",
        c.Rollback(deployment="web", to_revision=3),
        id="rollout-undo-to-revision",
    ),
    pytest.param("rollout restart deploy/web", c.Restart(deployment="web"), id="rollout-restart"),
    pytest.param("rollout status deployment/web", c.Status(deployment="web"), id="rollout-status"),
    pytest.param("rollout history deployment/web", c.History(deployment="web"), id="rollout-history"),
    pytest.param("rollout pause deployment/web", c.Pause(deployment="web"), id="rollout-pause"),
    pytest.param("rollout resume deployment/web", c.Resume(deployment="web"), id="rollout-resume"),
    pytest.param("kubectl cordon node-3", c.Cordon(node="node-3"), id="kubectl-cordon"),
    pytest.param("kubectl rollout undo deployments/web", c.Rollback(deployment="web"), id="kubectl-rollout"),
    pytest.param(
        "set image deployment/web web=nginx:1.27",
        c.Image(deployment="web", container="web", image="nginx:1.27"),
        id="set-image",
    ),
    pytest.param(
        "scale deployment/web --replicas=3", c.Scale(deployment="web", replicas=3), id="scale-replicas"
    ),
    pytest.param("scale deployment.apps/web --replicas 0", c.Scale(deployment="web", replicas=0), id="apps"),
    pytest.param("get nodes", c.Nodes(), id="get-nodes"),
    pytest.param("kubectl get no", c.Nodes(), id="get-no"),
    pytest.param(
        "kubectl drain node-3 --ignore-daemonsets --delete-local-data",
        c.Drain(node="node-3", delete_emptydir_data=True),
        id="drain-kubectl-flags",
    ),
    pytest.param("cordon node/node-3", c.Cordon(node="node-3"), id="node-prefix"),
    pytest.param("ROLLOUT UNDO Deployment/web", c.Rollback(deployment="web"), id="case-insensitive-kind"),
    pytest.param(
        "rollback daemonset/log-agent -n kube-system",
        c.Rollback(deployment="log-agent", kind=c.WorkloadKind.DAEMONSET, namespace="kube-system"),
        id="rollback-daemonset",
    ),
    pytest.param(
        "rollback statefulset/db --to-revision 2",
        c.Rollback(deployment="db", kind=c.WorkloadKind.STATEFULSET, to_revision=2),
        id="rollback-statefulset-to-revision",
    ),
    pytest.param(
        "kubectl rollout undo ds/log-agent --to-revision=1",
        c.Rollback(deployment="log-agent", kind=c.WorkloadKind.DAEMONSET, to_revision=1),
        id="rollout-undo-ds",
    ),
    pytest.param(
        "rollout undo StatefulSets.apps/db",
        c.Rollback(deployment="db", kind=c.WorkloadKind.STATEFULSET),
        id="rollout-undo-statefulsets-apps",
    ),
    pytest.param(
        "rollout status sts/db",
        c.Status(deployment="db", kind=c.WorkloadKind.STATEFULSET),
        id="rollout-status-sts",
    ),
    pytest.param(
        "history daemonset/log-agent",
        c.History(deployment="log-agent", kind=c.WorkloadKind.DAEMONSET),
        id="history-daemonset",
    ),
    pytest.param(
        "rollback deploy/web",
        c.Rollback(deployment="web", kind=c.WorkloadKind.DEPLOYMENT),
        id="deploy-prefix",
    ),
]

OPTIONS = [
    pytest.param("status web -n shop", c.Status(deployment="web", namespace="shop"), id="short-namespace"),
    pytest.param(
        "status web -n=shop", c.Status(deployment="web", namespace="shop"), id="short-namespace-equals"
    ),
    pytest.param(
        "status web -nshop", c.Status(deployment="web", namespace="shop"), id="short-namespace-attached"
    ),
    pytest.param(
        "status web --namespace shop", c.Status(deployment="web", namespace="shop"), id="long-namespace"
    ),
    pytest.param(
        "status --namespace=shop web",
        c.Status(deployment="web", namespace="shop"),
        id="long-namespace-equals",
    ),
    pytest.param("nodes --cluster prod-eu", c.Nodes(cluster="prod-eu"), id="cluster"),
    pytest.param("nodes --cluster=prod-eu", c.Nodes(cluster="prod-eu"), id="cluster-equals"),
    pytest.param("restart web --dry-run", c.Restart(deployment="web", dry_run=True), id="dry-run"),
    pytest.param(
        "restart web --dry-run=client", c.Restart(deployment="web", dry_run=True), id="dry-run-client"
    ),
    pytest.param(
        "restart web --dry-run=server", c.Restart(deployment="web", dry_run=True), id="dry-run-server"
    ),
    pytest.param("restart web --dry-run=none", c.Restart(deployment="web"), id="dry-run-none"),
    pytest.param("restart web --dry-run=false", c.Restart(deployment="web"), id="dry-run-false"),
    pytest.param(
        "restart web --DRY-RUN", c.Restart(deployment="web", dry_run=True), id="long-option-any-case"
    ),
    pytest.param("restart web \u2014dry-run", c.Restart(deployment="web", dry_run=True), id="em-dash"),
    pytest.param("restart web \u2013dry-run", c.Restart(deployment="web", dry_run=True), id="en-dash"),
    pytest.param("drain node-1 --force", c.Drain(node="node-1", force=True), id="drain-force"),
    pytest.param("drain node-1 --force=true", c.Drain(node="node-1", force=True), id="drain-force-true"),
    pytest.param(
        "drain node-1 --delete-emptydir-data",
        c.Drain(node="node-1", delete_emptydir_data=True),
        id="drain-delete-emptydir-data",
    ),
    pytest.param(
        "drain node-1 --grace-period 30", c.Drain(node="node-1", grace_period=30), id="drain-grace-period"
    ),
    pytest.param(
        "drain node-1 --grace-period=0", c.Drain(node="node-1", grace_period=0), id="drain-grace-zero"
    ),
    pytest.param("drain node-1 --timeout 5m", c.Drain(node="node-1", timeout=300.0), id="drain-timeout"),
    pytest.param(
        "drain node-1 --timeout=1h30m", c.Drain(node="node-1", timeout=5400.0), id="drain-timeout-mixed"
    ),
    pytest.param(
        "drain node-1 --timeout 90", c.Drain(node="node-1", timeout=90.0), id="drain-timeout-seconds"
    ),
    pytest.param(
        "rollback web --to-revision 0", c.Rollback(deployment="web", to_revision=0), id="to-revision-0"
    ),
    pytest.param(
        "image web registry.example.com:5000/team/web:v2@sha256:" + "a" * 64,
        c.Image(deployment="web", image="registry.example.com:5000/team/web:v2@sha256:" + "a" * 64),
        id="image-registry-port-digest",
    ),
    pytest.param(
        "strategy web rolling --max-surge 25% --max-unavailable 0",
        c.Strategy(
            deployment="web", strategy=c.StrategyType.ROLLING_UPDATE, max_surge="25%", max_unavailable=0
        ),
        id="strategy-rolling-limits",
    ),
    pytest.param(
        "strategy web RollingUpdate --max-unavailable=100%",
        c.Strategy(deployment="web", strategy=c.StrategyType.ROLLING_UPDATE, max_unavailable="100%"),
        id="strategy-kubernetes-spelling",
    ),
    pytest.param(
        "strategy web rolling --max-surge 200%",
        c.Strategy(deployment="web", strategy=c.StrategyType.ROLLING_UPDATE, max_surge="200%"),
        id="strategy-surge-over-100-percent",
    ),
    pytest.param(
        "upgrade nodes 1.32.1 --strategy surge --nodes node-1,node/node-2,node-1",
        c.UpgradeNodes(version="v1.32.1", strategy=c.NodeUpgradeStrategy.SURGE, nodes=("node-1", "node-2")),
        id="upgrade-nodes-options",
    ),
    pytest.param(
        "upgrade nodes v1.32 --strategy=all-at-once",
        c.UpgradeNodes(version="v1.32", strategy=c.NodeUpgradeStrategy.ALL_AT_ONCE),
        id="upgrade-nodes-all-at-once",
    ),
    pytest.param("backup config -n shop", c.BackupConfig(namespace="shop"), id="backup-config-n"),
    pytest.param("backup config -A", c.BackupConfig(all_namespaces=True), id="backup-config-A"),
    pytest.param(
        "backup config --all-namespaces",
        c.BackupConfig(all_namespaces=True),
        id="backup-config-all-namespaces",
    ),
    pytest.param(
        "timeline INC-7 --export md",
        c.Timeline(incident="INC-7", export=c.ExportFormat.MARKDOWN),
        id="timeline-export-md",
    ),
    pytest.param("timeline --export=json", c.Timeline(export=c.ExportFormat.JSON), id="timeline-export-json"),
    pytest.param("timeline INC-7 --link", c.Timeline(incident="INC-7", link=True), id="timeline-link"),
    pytest.param("timeline --revoke-links", c.Timeline(revoke_links=True), id="timeline-revoke-links"),
    pytest.param(
        "scale web 3 -n shop --cluster prod-eu --dry-run",
        c.Scale(deployment="web", replicas=3, namespace="shop", cluster="prod-eu", dry_run=True),
        id="all-common-options",
    ),
    pytest.param("approve --cluster prod-eu", c.Approve(cluster="prod-eu"), id="approve-cluster"),
]

FREE_TEXT = [
    pytest.param(
        'incident open "checkout errors"', c.IncidentOpen(title="checkout errors"), id="quoted-title"
    ),
    pytest.param(
        'incident open "checkout errors" --cluster prod-eu',
        c.IncidentOpen(title="checkout errors", cluster="prod-eu"),
        id="quoted-title-then-option",
    ),
    pytest.param(
        "incident open --cluster prod-eu checkout errors",
        c.IncidentOpen(title="checkout errors", cluster="prod-eu"),
        id="option-then-title",
    ),
    pytest.param(
        "note don't drain node-2 --force", c.Note(text="don't drain node-2 --force"), id="text-is-verbatim"
    ),
    pytest.param('note it said "no"', c.Note(text='it said "no"'), id="inner-quotes-kept"),
    pytest.param("note 'single quoted'", c.Note(text="single quoted"), id="single-quotes"),
    pytest.param(
        "note -n is not an option here", c.Note(text="-n is not an option here"), id="unknown-dash-word"
    ),
    pytest.param("note a & b", c.Note(text="a &amp; b"), id="text-stored-chat-safe"),
    pytest.param("note <!channel> look", c.Note(text="&lt;!channel&gt; look"), id="broadcast-neutralised"),
    pytest.param("deny 'not during peak'", c.Deny(reason="not during peak"), id="quoted-reason"),
    pytest.param("deny --dry-run", c.Deny(dry_run=True), id="deny-without-reason"),
]

SLACK_FORMATTED = [
    pytest.param("<@U123ABC> nodes", c.Nodes(), id="bot-mention"),
    pytest.param("<@U123ABC|opsbot>: nodes", c.Nodes(), id="named-bot-mention-colon"),
    pytest.param(
        "cordon <http://node-1.example.com|node-1.example.com>",
        c.Cordon(node="node-1.example.com"),
        id="auto-linked-node-name",
    ),
    pytest.param(
        "note see <https://runbook.example.com/x>",
        c.Note(text="see https://runbook.example.com/x"),
        id="bare-link",
    ),
    pytest.param("note mail <mailto:a@b.io|a@b.io>", c.Note(text="mail a@b.io"), id="mailto-link"),
    pytest.param(
        "note a &amp;&amp; b &lt;3", c.Note(text="a &amp;&amp; b &lt;3"), id="entities-unescaped-then-safe"
    ),
    pytest.param(
        "incident open \u201cDB down\u201d", c.IncidentOpen(title="DB down"), id="smart-double-quotes"
    ),
    pytest.param("deny \u2018too risky\u2019", c.Deny(reason="too risky"), id="smart-single-quotes"),
    pytest.param("note \u2033primes\u2033", c.Note(text="primes"), id="double-primes"),
    pytest.param("  SCALE   web\n\t3  ", c.Scale(deployment="web", replicas=3), id="whitespace-and-case"),
    pytest.param("Scale\u00a0web\u00a03", c.Scale(deployment="web", replicas=3), id="no-break-spaces"),
    pytest.param("Upgrade Plan", c.UpgradePlan(), id="two-word-verb-any-case"),
]


@pytest.mark.parametrize(("text", "expected"), VERBS)
def test_every_verb_parses_to_its_command(text: str, expected: c.Command) -> None:
    """Each verb of the vocabulary yields its frozen command with defaults for what was left out."""
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), KUBECTL_SPELLINGS)
def test_kubectl_spellings_parse_to_the_same_commands(text: str, expected: c.Command) -> None:
    """kubectl habits (rollout, set image, kind/name, a leading kubectl) mean what they mean in kubectl."""
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), OPTIONS)
def test_every_option_form_is_understood(text: str, expected: c.Command) -> None:
    """Options work in every form kubectl users write them, anywhere after the verb."""
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), FREE_TEXT)
def test_free_text_is_kept_as_typed_and_stored_chat_safe(text: str, expected: c.Command) -> None:
    """Notes, titles and reasons keep the person's words, with Slack control characters escaped."""
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), SLACK_FORMATTED)
def test_slack_formatting_is_undone_before_parsing(text: str, expected: c.Command) -> None:
    """Mentions, links, entities, curly quotes and odd whitespace from Slack do not get in the way."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1.32", "v1.32", id="minor-gets-v"),
        pytest.param("v1.32.0", "v1.32.0", id="patch-kept"),
        pytest.param("V1.32.0", "v1.32.0", id="capital-v"),
        pytest.param("1.032.00", "v1.32.0", id="leading-zeros-dropped"),
        pytest.param("1", None, id="major-only"),
        pytest.param("v1.32.0-rc.1", None, id="pre-release"),
        pytest.param("latest", None, id="word"),
    ],
)
def test_versions_are_normalised_to_a_leading_v(text: str, expected: str | None) -> None:
    """A version gains a ``v`` and loses leading zeros; anything else is not a version."""
    assert normalize_version(text) == expected


def test_every_command_name_has_a_class_with_that_name() -> None:
    """The command classes and the vocabulary list the same names in the same order."""
    assert tuple(command.name for command in c.COMMAND_TYPES) == COMMAND_NAMES


@pytest.mark.parametrize(
    ("command", "namespace", "target"),
    [
        pytest.param(c.Scale(deployment="web", replicas=1, namespace="shop"), "shop", "web", id="deployment"),
        pytest.param(c.Status(deployment="web"), None, "web", id="deployment-default-namespace"),
        pytest.param(c.Drain(node="node-1"), None, "node-1", id="node"),
        pytest.param(c.Nodes(), None, "", id="nothing"),
        pytest.param(c.UpgradeNodes(version="v1.32"), None, "v1.32", id="version"),
        pytest.param(c.BackupConfig(namespace="shop"), "shop", "shop", id="backup-namespace"),
        pytest.param(c.EtcdRestore(snapshot="s1"), None, "s1", id="snapshot"),
        pytest.param(c.Cancel(job="j1"), None, "j1", id="job"),
        pytest.param(c.Timeline(incident="INC-1"), None, "INC-1", id="incident"),
        pytest.param(c.Help(topic="scale"), None, "scale", id="help-topic"),
        pytest.param(c.Note(text="free text"), None, "", id="free-text-is-no-target"),
    ],
)
def test_every_command_exposes_namespace_and_target(
    command: c.Command, namespace: str | None, target: str
) -> None:
    """Policy reads ``namespace`` and messages read ``target`` without knowing the verb."""
    assert (command.namespace, command.target) == (namespace, target)
