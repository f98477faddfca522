"""The fields each served kind declares, for the API server's field validation: under
``fieldValidation=Strict`` (what kubectl sends) an unknown field is a 400, under ``Warn`` (the default)
a ``Warning`` header. The structure goes as deep as clients write objects (metadata, pod specs and
containers, workload specs); below a field marked ``ANY`` everything is accepted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kubesim import errors
from kubesim.resources import RESOURCES

ANY: Mapping[str, Any] = {}
"""A field whose contents are not checked (maps of data, or structures kubesim does not model)."""
Schema = Mapping[str, Any]


def _fields(names: str, **typed: Any) -> dict[str, Any]:
    return {**dict.fromkeys(names.split(), ANY), **typed}


class ListOf:
    """A list whose items follow a schema."""

    def __init__(self, item: Schema) -> None:
        self.item = item


OBJECT_META = _fields(
    "name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp "
    "deletionGracePeriodSeconds labels annotations ownerReferences finalizers managedFields"
)
CONTAINER = _fields(
    "name image command args workingDir ports envFrom env resources resizePolicy restartPolicy "
    "restartPolicyRules volumeMounts volumeDevices livenessProbe readinessProbe startupProbe lifecycle "
    "terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty"
)
POD_SPEC = _fields(
    "volumes ephemeralContainers restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy "
    "nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID "
    "hostIPC shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity schedulerName "
    "tolerations hostAliases priorityClassName priority dnsConfig readinessGates runtimeClassName "
    "enableServiceLinks preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers "
    "schedulingGates resourceClaims resources",
    containers=ListOf(CONTAINER),
    initContainers=ListOf(CONTAINER),
)
TEMPLATE = {"metadata": OBJECT_META, "spec": POD_SPEC}
_WORKLOAD = _fields("replicas selector minReadySeconds revisionHistoryLimit", template=TEMPLATE)
SPECS: dict[str, Schema] = {
    "pods": POD_SPEC,
    "deployments": {**_WORKLOAD, **_fields("strategy paused progressDeadlineSeconds")},
    "replicasets": _WORKLOAD,
    "statefulsets": {
        **_WORKLOAD,
        **_fields(
            "volumeClaimTemplates serviceName podManagementPolicy updateStrategy "
            "persistentVolumeClaimRetentionPolicy ordinals"
        ),
    },
    "daemonsets": {
        **_fields("selector updateStrategy minReadySeconds revisionHistoryLimit"),
        "template": TEMPLATE,
    },
}
TOP_LEVEL: dict[str, str] = {
    "configmaps": "immutable data binaryData",
    "secrets": "immutable data stringData type",
    "events": "involvedObject reason message source firstTimestamp lastTimestamp count type eventTime series "
    "action related reportingComponent reportingInstance",
    "serviceaccounts": "secrets imagePullSecrets automountServiceAccountToken",
    "controllerrevisions": "data revision",
    "roles": "rules",
    "clusterroles": "rules aggregationRule",
    "rolebindings": "roleRef subjects",
    "clusterrolebindings": "roleRef subjects",
    "selfsubjectaccessreviews": "spec status",
    "selfsubjectreviews": "status",
}
"""Kinds without a spec, and their own top-level fields."""


def schema_of(resource: str) -> Schema:
    """The fields a resource's objects may have (a custom resource's: anything)."""
    if resource not in RESOURCES:
        return ANY
    base = {"apiVersion": ANY, "kind": ANY, "metadata": OBJECT_META}
    if resource in TOP_LEVEL:
        return {**base, **_fields(TOP_LEVEL[resource])}
    return {**base, "spec": SPECS.get(resource, ANY), "status": ANY}


def unknown_fields(value: Any, schema: Schema | ListOf, path: str = "") -> Iterator[str]:
    """The paths of the fields `value` has and `schema` does not declare, in document order."""
    if isinstance(schema, ListOf):
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from unknown_fields(item, schema.item, f"{path}[{index}]")
        return
    if schema is ANY or not isinstance(value, dict):
        return
    for key, item in value.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in schema:
            yield where
        else:
            yield from unknown_fields(item, schema[key], where)


def _prune(value: Any, schema: Schema | ListOf) -> None:
    if isinstance(schema, ListOf):
        for item in value if isinstance(value, list) else []:
            _prune(item, schema.item)
        return
    if schema is ANY or not isinstance(value, dict):
        return
    for key in list(value):
        if key not in schema:
            del value[key]
        else:
            _prune(value[key], schema[key])


def field_validation(rt_kind: str, version: str, resource: str, body: Any, mode: str | None) -> list[str]:
    """Apply a ``fieldValidation`` mode to a request body: Strict raises the server's 400; otherwise the
    unknown fields are dropped (as decoding drops them) and Warn (the default) returns the Warning
    header values."""
    unknown = list(unknown_fields(body, schema_of(resource)))
    if not unknown:
        return []
    if mode != "Strict":
        _prune(body, schema_of(resource))
    if mode == "Ignore":
        return []
    if mode == "Strict":
        listed = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise errors.bad_request(
            f'{rt_kind} in version "{version}" cannot be handled as a {rt_kind}: strict decoding error: {listed}'
        )
    return [f'299 - "unknown field \\"{path}\\""' for path in unknown]
