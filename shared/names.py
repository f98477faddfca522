"""Which names may reach the cluster: Kubernetes object names, image references and our own ids.

The grammar checks every name before a command is queued, so a typo fails in chat with a clear reason
instead of as an API error minutes later, and so nothing odd (spaces, markup, path tricks) is ever
handed to a job. The rules follow Kubernetes' own validation:

- node names are DNS-1123 subdomains: lowercase alphanumerics, ``-`` and ``.``, at most 253;
- deployment, namespace and container names are DNS-1123 labels: lowercase alphanumerics and ``-``,
  at most 63;
- image references follow the OCI distribution grammar: ``[registry[:port]/]path[:tag][@digest]``;
- job and incident ids are ours: ``[A-Za-z0-9_-]``, at most 64; approval ids are such ids that start
  with ``apr-``;
- cluster names are keys of our settings: letters, digits, ``.``, ``_`` and ``-``, starting with a
  letter or digit, at most 63;
- etcd snapshot names are file names: letters, digits, ``.``, ``_`` and ``-``, starting with a letter
  or digit (so never ``..``), at most 253.
"""

from __future__ import annotations

import re
from enum import StrEnum

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(_LABEL)
_DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_REGISTRY = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
_IMAGE_NAME = rf"(?:{_REGISTRY}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_IMAGE_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_IMAGE_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_IMAGE_REFERENCE = re.compile(rf"(?P<name>{_IMAGE_NAME})(?::{_IMAGE_TAG})?(?:@{_IMAGE_DIGEST})?")

_OUR_ID = re.compile(r"[A-Za-z0-9_-]+")
_CLUSTER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SNAPSHOT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

MAX_LABEL = 63
MAX_SUBDOMAIN = 253
MAX_IMAGE_NAME = 255
MAX_OUR_ID = 64


class NameKind(StrEnum):
    """The kinds of name the grammar validates; each has its own rule (see the module docstring)."""

    NODE = "node"
    DEPLOYMENT = "deployment"
    NAMESPACE = "namespace"
    CONTAINER = "container"
    IMAGE = "image"
    JOB = "job"
    INCIDENT = "incident"
    CLUSTER = "cluster"
    SNAPSHOT = "snapshot"
    APPROVAL = "approval"


def is_dns1123_label(value: str) -> bool:
    """Whether ``value`` is a DNS-1123 label, as Kubernetes requires of namespace names."""
    return len(value) <= MAX_LABEL and _DNS1123_LABEL.fullmatch(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    """Whether ``value`` is a DNS-1123 subdomain, as Kubernetes requires of node names."""
    return len(value) <= MAX_SUBDOMAIN and _DNS1123_SUBDOMAIN.fullmatch(value) is not None


def is_image_reference(value: str) -> bool:
    """Whether ``value`` reads as an OCI image reference such as ``registry:5000/team/web:1.27``.

    Repository paths must be lowercase, as registries require; the name part is at most 255 characters.
    """
    match = _IMAGE_REFERENCE.fullmatch(value)
    return match is not None and len(match.group("name")) <= MAX_IMAGE_NAME


def is_our_id(value: str) -> bool:
    """Whether ``value`` can be a job or incident id: ``[A-Za-z0-9_-]``, at most 64 characters."""
    return len(value) <= MAX_OUR_ID and _OUR_ID.fullmatch(value) is not None


APPROVAL_PREFIX = "apr-"


def is_approval_id(value: str) -> bool:
    """Whether ``value`` can be an approval id: one of our ids that starts with ``apr-``."""
    return value.startswith(APPROVAL_PREFIX) and len(value) > len(APPROVAL_PREFIX) and is_our_id(value)


DEFAULT_CLUSTER = "default"
"""The cluster a command, a bot or a worker means when none is named."""


def is_cluster_name(value: str) -> bool:
    """The one definition of a cluster name, for ``--cluster``, policy files, the bot's settings and
    ``chatops worker --cluster``: letters, digits, '.', '_' and '-', starting with a letter or digit."""
    return is_valid_name(NameKind.CLUSTER, value)


def is_valid_name(kind: NameKind, value: str) -> bool:
    """Whether ``value`` is acceptable as a name of ``kind``."""
    match kind:
        case NameKind.NODE:
            return is_dns1123_subdomain(value)
        case NameKind.DEPLOYMENT | NameKind.NAMESPACE | NameKind.CONTAINER:
            return is_dns1123_label(value)
        case NameKind.IMAGE:
            return is_image_reference(value)
        case NameKind.JOB | NameKind.INCIDENT:
            return is_our_id(value)
        case NameKind.APPROVAL:
            return is_approval_id(value)
        case NameKind.CLUSTER:
            return len(value) <= MAX_LABEL and _CLUSTER.fullmatch(value) is not None
        case NameKind.SNAPSHOT:
            return len(value) <= MAX_SUBDOMAIN and _SNAPSHOT.fullmatch(value) is not None
