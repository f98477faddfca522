"""Least privilege against the real authorizer: every worker operation runs with deploy/'s chatops-worker
ServiceAccount token on the real control plane, so a permission the code needs and deploy/ lacks is a
real 403; the audit log then shows each verb and resource used, held against the ClusterRole's rules.

The bed starts with deploy/'s base RBAC, where Secret export is not granted; a test that runs
``backup secrets`` opts in by applying the ``secret-export`` component's objects, as an operator would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.beds.audit_log import WORKER_USER, requests_by
from tests.beds.test_workload_rollouts import CACHE, LOG_AGENT, NEW_AGENT, NEW_CACHE, set_image
from tests.beds.view import kubectl, runner_for, set_min_available
from tests.deploy import rbac
from tests.deploy.manifests import Obj, kinds, overlay, render, render_with
from tests.deploy.operations import OPERATIONS
from tests.support.beds import Bed
from workers import etcd

pytestmark = pytest.mark.control_plane

WEB = {"deployment": "web", "kind": "deployment", "namespace": "default"}

UPGRADE_ONLY = {"patch daemonsets.apps"}
"""Grants only the upgrade jobs use (kube-proxy's image): they are not run on this bed yet."""


@pytest.fixture(name="backups")
def fixture_backups(tmp_path: Path) -> Iterator[Path]:
    """Backups of this test go to its own directory."""
    etcd.configure(etcd.EtcdSettings(backup_dir=tmp_path / "backups"))
    yield tmp_path / "backups"
    etcd.configure(etcd.EtcdSettings())


def opt_in_to_secret_export(bed: Bed, directory: Path) -> list[Obj]:
    """Apply what the ``secret-export`` component adds to the single-cluster overlay; the rendered result."""
    with_component = render_with("single-cluster", "secret-export")
    shipped = kinds(render(overlay("single-cluster")))
    added = [obj for obj in with_component if (obj["kind"], obj["metadata"]["name"]) not in shipped]
    assert {obj["kind"] for obj in added} == {"ClusterRole", "ClusterRoleBinding"}
    (directory / "secret-export.yaml").write_text(yaml.safe_dump_all(added))
    applied = kubectl(bed, "apply", "-f", str(directory / "secret-export.yaml"))
    assert applied.returncode == 0, applied.stderr
    return with_component


def test_without_the_opt_in_the_api_server_refuses_a_secret_backup(bed: Bed, backups: Path) -> None:
    """deploy/ as shipped: ``backup secrets`` fails with the authorizer's 403 and writes no file."""
    outcome = runner_for(bed).run("backup_secrets", namespace="default")
    assert outcome.status == "failed"
    assert "forbidden" in outcome.final.text.lower() and "secrets" in outcome.final.text
    assert not any(backups.rglob("config-*.yaml"))


def test_every_operation_is_allowed_and_every_grant_is_used(bed: Bed, backups: Path, tmp_path: Path) -> None:
    """No 403 in the audit log; each request allowed by the rules; no grant unused but the upgrades'."""
    assert bed.audit_log is not None
    objects = opt_in_to_secret_export(bed, tmp_path)
    runner = runner_for(bed)
    set_image(bed, LOG_AGENT, NEW_AGENT)  # a second revision for the DaemonSet's and StatefulSet's rollbacks
    set_image(bed, CACHE, NEW_CACHE)
    set_min_available(bed, 3)
    blocked = runner.run("drain", node="node-2", force=True, delete_emptydir_data=True, timeout=2.0)
    set_min_available(bed, 2)
    outcomes = [(name, runner.run(name, **arguments)) for name, arguments in OPERATIONS]
    assert blocked.status == "failed" and "global timeout reached" in blocked.final.text
    assert {name: o.status for name, o in outcomes if o.status != "finished"} == {}
    followed = [
        runner.run("status", **stalled(bed, target), timeout=1.0) for target in (WEB, LOG_AGENT, CACHE)
    ]
    assert [o.status for o in followed] == ["failed"] * 3, [o.final.text for o in followed]
    assert any(backups.rglob("*")), "the backups wrote nothing"
    recorded = requests_by(bed.audit_log, WORKER_USER)
    assert recorded, "the audit log holds no request of the worker"
    assert [str(info) for info, code in recorded if code == 403] == []
    rules = rbac.bound_rules(objects, namespace="chatops", service_account="chatops-worker")
    report = rbac.check(rules, [info for info, _ in recorded])
    assert report.refused == ()
    assert {str(grant) for grant in report.unused} <= UPGRADE_ONLY, [str(g) for g in report.unused]


def stalled(bed: Bed, target: dict[str, str]) -> dict[str, str]:
    """A rollout that cannot finish (its new pods ask for more CPU than any node has), so ``status``
    lists, then watches until its deadline: the watch grants are used only by a rollout in progress."""
    name, namespace = target["deployment"], target["namespace"]
    patch = {
        "deployment": bed.apps.patch_namespaced_deployment,
        "daemonset": bed.apps.patch_namespaced_daemon_set,
        "statefulset": bed.apps.patch_namespaced_stateful_set,
    }[target["kind"]]
    container = kubectl(
        bed,
        "get",
        target["kind"],
        name,
        "-n",
        namespace,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].name}",
    )
    assert container.returncode == 0, container.stderr
    requests = {"resources": {"requests": {"cpu": "1000"}}}
    patch(
        name,
        namespace,
        {"spec": {"template": {"spec": {"containers": [{"name": container.stdout, **requests}]}}}},
    )
    return target
