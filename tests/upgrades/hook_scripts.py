"""Real hook commands for the upgrade tests: small Python programs that act as an operator's tooling would.

Each program is written into the test's directory and run by the worker through ``sys.executable``.
It logs the call, then changes the simulated machines with the real kubectl and the test's kubeconfig:
a kubelet upgrade reports the new version in the node's status, a control-plane upgrade swaps the
mirror pod's image (and, for kube-apiserver, the version kubesim's ``/version`` serves), provisioning
registers a Node copied from its template, retiring deletes the Node.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

KUBECTL = Path(sys.executable).parent / "kubectl"

_PRELUDE = """\
import json, subprocess, sys
kubectl, kubeconfig, log, *args = sys.argv[1:]
with open(log, "a") as out:
    out.write(" ".join(args) + "\\n")

def run(*command, data=None):
    done = subprocess.run([kubectl, "--kubeconfig=" + kubeconfig, *command], input=data, text=True,
                          capture_output=True)
    if done.returncode:
        sys.exit("kubectl " + command[0] + " failed: " + done.stderr)
    return done.stdout
"""

NODE = """\
node, version = args
info = {"kubeletVersion": version, "kubeProxyVersion": version}
run("patch", "node", node, "--subresource=status", "--type=merge", "-p", json.dumps({"status": {"nodeInfo": info}}))
"""

CONTROL_PLANE = """\
component, pod, node, version = args
found = json.loads(run("get", "pod", pod, "-n", "kube-system", "-o", "json"))
index = [c["name"] for c in found["spec"]["containers"]].index(component)
image = found["spec"]["containers"][index]["image"].rsplit(":", 1)[0] + ":" + version
patch = [{"op": "replace", "path": f"/spec/containers/{index}/image", "value": image}]
run("patch", "pod", pod, "-n", "kube-system", "--type=json", "-p", json.dumps(patch))
if component == "kube-apiserver":
    run("create", "--raw", "/kubesim/version", "-f", "-", data=json.dumps({"gitVersion": version}))
"""

PROVISION = """\
name, template, version = args
model = json.loads(run("get", "node", template, "-o", "json"))
labels = {**model["metadata"].get("labels", {}), "kubernetes.io/hostname": name}
node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}
run("create", "-f", "-", data=json.dumps(node))
status = {"capacity": model["status"]["capacity"], "allocatable": model["status"]["allocatable"],
          "nodeInfo": {"kubeletVersion": version, "kubeProxyVersion": version}}
run("patch", "node", name, "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))
"""

RETIRE = """\
(node,) = args
run("delete", "node", node)
"""

FAIL = """\
print("upgrading " + " ".join(args))
print("E: Unable to locate package kubelet=" + args[-1], file=sys.stderr)
sys.exit(3)
"""

HANG = """\
import time
print("waiting for the node pool", flush=True)
time.sleep(120)
"""


def hook_command(directory: Path, kubeconfig: Path, *, name: str, body: str, placeholders: str) -> str:
    """A ``CHATOPS_*_COMMAND`` value running program ``body`` with ``placeholders``; calls go to ``name``.log."""
    script = directory / f"{name}.py"
    script.write_text(_PRELUDE + body)
    prefix = shlex.join(
        [sys.executable, str(script), str(KUBECTL), str(kubeconfig), str(directory / f"{name}.log")]
    )
    return f"{prefix} {placeholders}"


def calls(directory: Path, name: str) -> list[str]:
    """The argument lines the hook ``name`` was run with, in order."""
    log = directory / f"{name}.log"
    return log.read_text().splitlines() if log.exists() else []
