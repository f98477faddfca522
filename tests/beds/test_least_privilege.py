"""Least privilege against the real authorizer: every worker operation runs with deploy/'s chatops-worker
ServiceAccount token on the real control plane, so a permission the code needs and deploy/ lacks is a
real 403; the audit log then shows each verb and resource used, held against the ClusterRole's rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.beds.audit_log import WORKER_USER, requests_by
from tests.beds.view import runner_for, set_min_available
from tests.deploy import rbac
from tests.deploy.manifests import find, overlay, render
from tests.deploy.operations import OPERATIONS
from tests.support.beds import Bed
from workers import etcd

pytestmark = pytest.mark.control_plane

UPGRADE_ONLY = {"patch daemonsets.apps"}
"""Grants only the upgrade jobs use (kube-proxy's image): they are not run on this bed yet."""


@pytest.fixture(name="backups")
def fixture_backups(tmp_path: Path) -> Iterator[Path]:
    """Backups of this test go to its own directory."""
    etcd.configure(etcd.EtcdSettings(backup_dir=tmp_path / "backups"))
    yield tmp_path / "backups"
    etcd.configure(etcd.EtcdSettings())


def test_every_operation_is_allowed_and_every_grant_is_used(bed: Bed, backups: Path) -> None:
    """No 403 in the audit log; each request allowed by the rules; no grant unused but the upgrades'."""
    assert bed.audit_log is not None
    runner = runner_for(bed)
    set_min_available(bed, 3)
    blocked = runner.run("drain", node="node-2", force=True, delete_emptydir_data=True, timeout=2.0)
    set_min_available(bed, 2)
    outcomes = [(name, runner.run(name, **arguments)) for name, arguments in OPERATIONS]
    assert blocked.status == "failed" and "global timeout reached" in blocked.final.text
    assert {name: o.status for name, o in outcomes if o.status != "finished"} == {}
    assert any(backups.rglob("*")), "the backups wrote nothing"
    recorded = requests_by(bed.audit_log, WORKER_USER)
    assert recorded, "the audit log holds no request of the worker"
    assert [str(info) for info, code in recorded if code == 403] == []
    rules = rbac.rules_of(find(render(overlay("single-cluster")), "ClusterRole", "chatops-worker"))
    report = rbac.check(rules, [info for info, _ in recorded])
    assert report.refused == ()
    assert {str(grant) for grant in report.unused} <= UPGRADE_ONLY, [str(g) for g in report.unused]
