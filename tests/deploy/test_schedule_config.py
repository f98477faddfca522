"""The workers ship with a backup schedule they can read: mounted where CHATOPS_SCHEDULE says, and valid."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from tests.deploy.manifests import OVERLAYS, Obj, find
from workers.schedule import parse_schedule


def config_map(objects: list[Obj], prefix: str) -> Obj:
    """The generated ConfigMap whose name starts with ``prefix`` (kustomize adds a hash)."""
    [found] = [
        o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith(prefix + "-")
    ]
    return found


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_worker_reads_a_valid_schedule_from_the_mounted_config_map(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    """CHATOPS_SCHEDULE names schedule.yaml in the mounted chatops-schedule ConfigMap, and it parses."""
    objects = rendered[name]
    path = PurePosixPath(config_map(objects, "chatops-worker-config")["data"]["CHATOPS_SCHEDULE"])
    schedule = config_map(objects, "chatops-schedule")
    entries = parse_schedule(schedule["data"][path.name])
    assert [(entry.name, entry.keep) for entry in entries] == [("config", 28)]
    spec = find(objects, "Deployment", "chatops-worker")["spec"]["template"]["spec"]
    [volume] = [
        v for v in spec["volumes"] if v.get("configMap", {}).get("name") == schedule["metadata"]["name"]
    ]
    [mount] = [m for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume["name"]]
    assert PurePosixPath(mount["mountPath"]) == path.parent
