"""deploy/Dockerfile builds one image that runs as the user the manifests expect, with both entry points."""

from __future__ import annotations

import argparse
import json

import pytest

from chatops.cli import build_parser
from tests.deploy.manifests import DEPLOY, OVERLAYS, Obj, pod_specs


def instructions() -> list[tuple[str, str]]:
    """The final stage's ``(INSTRUCTION, arguments)`` pairs, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    final = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines[final:]]


def test_the_image_runs_chatops_as_an_unprivileged_numeric_user() -> None:
    """USER is numeric (runAsNonRoot can check it) and the entry point is the ``chatops`` command."""
    final = dict(instructions())
    user, _, group = final["USER"].partition(":")
    assert user.isdigit() and int(user) > 0 and group.isdigit()
    assert json.loads(final["ENTRYPOINT"]) == ["chatops"]


@pytest.mark.parametrize("name", OVERLAYS)
def test_the_manifests_run_the_images_user_and_its_entry_points(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    """Our workloads run as the image's user, with ``bot`` or ``worker`` as the command."""
    user = int(dict(instructions())["USER"].split(":")[0])
    [subcommands] = [
        action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
    ]
    commands = set(subcommands.choices)
    for workload, spec in pod_specs(rendered[name]):
        if workload == "chatops-redis":
            continue
        assert spec["securityContext"]["runAsUser"] == user, workload
        [container] = spec["containers"]
        assert container["args"][0] in commands, workload


def test_the_image_holds_every_package_the_product_runs_on() -> None:
    """The build stage copies the composition root, the bot, the workers, what they share and kubesim
    (the demo's cluster); only the real control plane, a test bed, stays out."""
    text = (DEPLOY / "Dockerfile").read_text()
    copied = {
        line.split()[1] for line in text.splitlines() if line.startswith("COPY ") and "--from" not in line
    }
    product = {path.parent.name for path in DEPLOY.parent.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert sorted(product - copied) == ["controlplane"]
