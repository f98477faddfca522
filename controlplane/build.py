"""Builds the control plane's binaries once from the pinned Go modules, into a cache outside the repository.

Two small Go modules pin what runs: ``go/kubernetes`` (kube-apiserver, kube-controller-manager and
kube-scheduler from ``k8s.io/kubernetes``, every staging module replaced by the same release) and
``go/kwok`` (KWOK, whose own pins differ, so it is a module of its own). The cache key is the Go
toolchain's version and the exact text of both modules' go.mod and go.sum: while they stay the same,
the binaries are reused; change a pin or the toolchain and they are built again, beside the old ones.

    python -m controlplane.build      # build (or reuse) and print where the binaries are
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULES = Path(__file__).parent / "go"

PROGRAMS: dict[str, tuple[str, str]] = {
    "kube-apiserver": ("kubernetes", "k8s.io/kubernetes/cmd/kube-apiserver"),
    "kube-controller-manager": ("kubernetes", "k8s.io/kubernetes/cmd/kube-controller-manager"),
    "kube-scheduler": ("kubernetes", "k8s.io/kubernetes/cmd/kube-scheduler"),
    "kwok": ("kwok", "sigs.k8s.io/kwok/cmd/kwok"),
}
"""Each binary: the module of ours that pins it, and its Go package."""

KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)
"""KWOK's own published stages (in its module) that make up our kubelets: nodes become Ready and
heartbeat with a Lease; pods become Ready at once, complete when they are a Job's, and go when deleted."""
STAGES_FILE = "kwok-stages.yaml"
VERSION_PACKAGES = ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")


def kubernetes_version() -> str:
    """The k8s.io/kubernetes release our module pins (``v1.37.2``): what the API server reports."""
    go_mod = MODULES / "kubernetes" / "go.mod"
    found = re.search(r"^\s*(?:require\s+)?k8s\.io/kubernetes\s+(v\S+)", go_mod.read_text(), re.MULTILINE)
    if found is None:
        raise BuildError(f"{go_mod} does not require k8s.io/kubernetes")
    return found.group(1)


def _version_flags() -> list[str]:
    """The -ldflags Kubernetes' own build sets, so /version names the release (not v0.0.0-master)."""
    version = kubernetes_version()
    major, minor = version.lstrip("v").split(".")[:2]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor, "gitTreeState": "clean"}
    flags = [f"-X {package}.{name}={value}" for package in VERSION_PACKAGES for name, value in values.items()]
    return ["-ldflags", " ".join(flags)]


class BuildError(RuntimeError):
    """The binaries cannot be built here; the message says exactly what is missing or what failed."""


@dataclasses.dataclass(frozen=True)
class Binaries:
    """Where the built programs are."""

    directory: Path

    def path(self, program: str) -> Path:
        """The path of one program (a key of :data:`PROGRAMS`)."""
        return self.directory / program

    @property
    def kwok_stages(self) -> Path:
        """KWOK's stage configuration (see :data:`KWOK_STAGES`)."""
        return self.directory / STAGES_FILE


def cache_root() -> Path:
    """``$CHATOPS_CACHE_DIR``, else ``$XDG_CACHE_HOME/chatops``, else ``~/.cache/chatops``."""
    explicit = os.environ.get("CHATOPS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chatops"


def go_command() -> str:
    """The ``go`` program on PATH (or Go's default install place), or a BuildError saying it is missing."""
    found = shutil.which("go") or next((str(p) for p in (Path("/usr/local/go/bin/go"),) if p.exists()), None)
    if found is None:
        raise BuildError(
            "Go is not installed: the control plane is built with `go build` from the modules in "
            f"{MODULES} (Go 1.26 or newer and the Go module proxy are needed)."
        )
    return found


def build_key(go: str) -> str:
    """What the binaries depend on: the toolchain's version and the pinned modules, hashed."""
    digest = hashlib.sha256()
    digest.update(_run([go, "env", "GOVERSION", "GOOS", "GOARCH"], cwd=MODULES).encode())
    for module in sorted({module for module, _ in PROGRAMS.values()}):
        for name in ("go.mod", "go.sum"):
            digest.update(f"{module}/{name}\0".encode())
            digest.update((MODULES / module / name).read_bytes())
    return digest.hexdigest()[:16]


def ensure_built(*, log: bool = True) -> Binaries:
    """The binaries for the pinned versions: reused from the cache, or built there now."""
    go = go_command()
    target = cache_root() / "control-plane" / build_key(go)
    if all((target / program).exists() for program in (*PROGRAMS, STAGES_FILE)):
        return Binaries(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    started = time.monotonic()
    for module in sorted({module for module, _ in PROGRAMS.values()}):
        packages = [package for module_of, package in PROGRAMS.values() if module_of == module]
        if log:
            print(
                f"building {', '.join(p.rsplit('/', 1)[-1] for p in packages)} (Go module {module})...",
                flush=True,
            )
        flags = _version_flags() if module == "kubernetes" else []
        _run([go, "build", "-trimpath", *flags, "-o", f"{staging}{os.sep}", *packages], cwd=MODULES / module)
    kwok_source = Path(
        _run([go, "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"], cwd=MODULES / "kwok").strip()
    )
    stages = [(kwok_source / stage).read_text().strip() for stage in KWOK_STAGES]
    (staging / STAGES_FILE).write_text("\n---\n".join(stages) + "\n")
    if log:
        print(f"built in {time.monotonic() - started:.0f} s into {target}", flush=True)
    try:
        staging.rename(target)
    except OSError:  # another build finished first: its binaries are the same
        shutil.rmtree(staging, ignore_errors=True)
    return Binaries(target)


def _run(command: list[str], *, cwd: Path) -> str:
    try:
        completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BuildError(f"cannot run {command[0]}: {error}") from error
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-20:])
        raise BuildError(f"`{' '.join(command)}` (in {cwd}) exited {completed.returncode}:\n{tail}")
    return completed.stdout


def main() -> int:
    """Build or reuse the binaries; print their directory."""
    try:
        binaries = ensure_built()
    except BuildError as error:
        print(f"control plane: {error}", file=sys.stderr)
        return 1
    print(binaries.directory)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
