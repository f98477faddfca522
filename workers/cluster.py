"""How a worker reaches its cluster: one official-client ``ApiClient`` per process, from a kubeconfig.

The worker's entry point calls :func:`configure` once with the kubeconfig it was given (or None for
the in-cluster ServiceAccount); the client itself is created lazily in the process that uses it,
so a forked work-horse never shares a connection pool with its parent.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from typing import Any

from kubernetes import client, config

# Imported here, not on first use: the API classes build hundreds of models when first imported
# (about 0.6 s), and the worker imports this module before forking, so no work-horse pays for it.
from kubernetes.client import (
    ApiextensionsV1Api,
    AppsV1Api,
    AutoscalingV2Api,
    BatchV1Api,
    CoreV1Api,
    CustomObjectsApi,
    NetworkingV1Api,
    PolicyV1Api,
    RbacAuthorizationV1Api,
)

from workers.impersonation import ImpersonatingApiClient


@dataclasses.dataclass
class _Connection:
    kubeconfig: Path | None = None
    pid: int = -1
    api: Any = None
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_connection = _Connection()


def configure(*, kubeconfig: Path | None) -> None:
    """Say which cluster this process acts on: a kubeconfig file, or None for in-cluster credentials."""
    with _connection.lock:
        _connection.kubeconfig = kubeconfig
        _connection.api = None


def api_client() -> Any:
    """The process's ``kubernetes.client.ApiClient``, created on first use after a fork.

    It acts as the worker's own credentials, or as the job's requester inside
    :func:`workers.impersonation.acting_as`.
    """
    with _connection.lock:
        if _connection.api is None or _connection.pid != os.getpid():
            configuration = client.Configuration()
            if _connection.kubeconfig is not None:
                config.load_kube_config(
                    config_file=str(_connection.kubeconfig),
                    client_configuration=configuration,
                    persist_config=False,
                )
            else:
                config.load_incluster_config(client_configuration=configuration)
            api = ImpersonatingApiClient(configuration)
            _connection.api, _connection.pid = api, os.getpid()
        return _connection.api


def core() -> Any:
    """``CoreV1Api`` on the configured cluster."""
    return CoreV1Api(api_client())


def apps() -> Any:
    """``AppsV1Api`` on the configured cluster."""
    return AppsV1Api(api_client())


def policy() -> Any:
    """``PolicyV1Api`` on the configured cluster."""
    return PolicyV1Api(api_client())


def batch() -> Any:
    """``BatchV1Api`` (Jobs, CronJobs) on the configured cluster."""
    return BatchV1Api(api_client())


def autoscaling() -> Any:
    """``AutoscalingV2Api`` (HorizontalPodAutoscalers) on the configured cluster."""
    return AutoscalingV2Api(api_client())


def networking() -> Any:
    """``NetworkingV1Api`` (Ingresses, NetworkPolicies) on the configured cluster."""
    return NetworkingV1Api(api_client())


def rbac() -> Any:
    """``RbacAuthorizationV1Api`` on the configured cluster."""
    return RbacAuthorizationV1Api(api_client())


def apiextensions() -> Any:
    """``ApiextensionsV1Api`` (CustomResourceDefinitions) on the configured cluster."""
    return ApiextensionsV1Api(api_client())


def custom_objects() -> Any:
    """``CustomObjectsApi`` (objects of custom resources) on the configured cluster."""
    return CustomObjectsApi(api_client())
