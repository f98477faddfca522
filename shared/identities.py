"""Who a job acts as on the cluster: the bot's own ServiceAccount, or the person who asked.

The policy may say, per cluster, ``run_as: requester``; then every job there acts as the Kubernetes
user (and groups) the policy maps its requester to, by impersonation, so the cluster's own RBAC
applies to that person and its audit log names them. An unmapped requester is refused before anything
is queued (fail closed). ``run_as: bot`` (the default) acts as the worker's ServiceAccount, as before.

The policy schema (beside ``rules``; see :mod:`bot.core.policy_file`)::

    clusters:                       # optional: per cluster settings
      prod-eu: {run_as: requester}  #   "bot" (default) or "requester"
    identities:                     # chat user id -> Kubernetes user and groups
      U01ALICE: {user: alice@example.com, groups: [sre]}

A mapped user or group may not be a ``system:`` identity: the bot never acts as the cluster's own
components or as ``system:masters``.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared.messages import policy as messages

Report = Callable[[str, str], None]
"""How the policy reader collects a problem: ``report(path, message)``."""

EXTRA_PREFIX = "chatops.io/"
"""The keys of the extras a job sends with its impersonation (``chatops.io/job-id`` and the like)."""


class RunAs(enum.StrEnum):
    """Whose permissions a cluster's jobs use."""

    BOT = "bot"
    REQUESTER = "requester"


@dataclasses.dataclass(frozen=True)
class KubeIdentity:
    """A Kubernetes user with its groups, and the extras that say why the bot acts as them."""

    user: str
    groups: tuple[str, ...] = ()
    extra: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def with_extra(self, **values: Sequence[str] | str) -> KubeIdentity:
        """This identity with more extras (``job_id="job-1"`` becomes ``chatops.io/job-id``)."""
        extra = dict(self.extra)
        for name, value in values.items():
            extra[EXTRA_PREFIX + name.replace("_", "-")] = (
                (value,) if isinstance(value, str) else tuple(value)
            )
        return dataclasses.replace(self, extra=extra)

    def to_json(self) -> dict[str, Any]:
        """The JSON-safe form a job carries."""
        return {
            "user": self.user,
            "groups": list(self.groups),
            "extra": {k: list(v) for k, v in self.extra.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KubeIdentity:
        """Read back :meth:`to_json`."""
        extra = data.get("extra") or {}
        return cls(
            user=str(data["user"]),
            groups=tuple(str(group) for group in data.get("groups") or ()),
            extra={str(key): tuple(str(v) for v in values) for key, values in extra.items()},
        )


@dataclasses.dataclass(frozen=True)
class Identities:
    """The identity part of a policy: each cluster's ``run_as`` and the people's Kubernetes identities."""

    run_as: Mapping[str, RunAs] = dataclasses.field(default_factory=dict)
    people: Mapping[str, KubeIdentity] = dataclasses.field(default_factory=dict)

    def mode(self, cluster: str) -> RunAs:
        """How jobs on ``cluster`` act (``bot`` unless the policy says otherwise)."""
        return self.run_as.get(cluster, RunAs.BOT)

    def acting_as(self, *, user: str, cluster: str) -> KubeIdentity | None:
        """The identity a job of ``user`` uses on ``cluster``: None acts as the bot.

        Raises :class:`Unmapped` when the cluster runs as the requester and ``user`` has no identity.
        """
        if self.mode(cluster) is RunAs.BOT:
            return None
        identity = self.people.get(user)
        if identity is None:
            raise Unmapped(user=user, cluster=cluster)
        return identity

    def impersonated(self) -> tuple[frozenset[str], frozenset[str]]:
        """Every user and every group the policy may make a job act as (for the worker's RBAC)."""
        users = frozenset(identity.user for identity in self.people.values())
        groups = frozenset(group for identity in self.people.values() for group in identity.groups)
        return users, groups


class Unmapped(Exception):
    """A requester with no Kubernetes identity on a cluster that runs jobs as the requester."""

    def __init__(self, *, user: str, cluster: str) -> None:
        self.user, self.cluster = user, cluster
        super().__init__(f"{user} has no Kubernetes identity for cluster {cluster}")


def read_identities(
    document: Mapping[object, object],
    *,
    report: Report,
    is_user_id: Callable[[str], bool],
    is_cluster_name: Callable[[str], bool],
) -> Identities:
    """The ``clusters`` and ``identities`` sections of a policy document, every problem reported."""
    return Identities(
        run_as=_run_as(document.get("clusters", {}), report=report, is_cluster_name=is_cluster_name),
        people=_people(document.get("identities", {}), report=report, is_user_id=is_user_id),
    )


CLUSTER_KEYS = ("run_as", "window")
"""What a cluster's settings may say: whose permissions its jobs use, and its change window
(read with the windows, :mod:`bot.core.policy_windows`)."""


def _run_as(value: object, *, report: Report, is_cluster_name: Callable[[str], bool]) -> dict[str, RunAs]:
    if not isinstance(value, dict):
        report(
            "clusters",
            messages.wrong_type(
                expected="a mapping of cluster names to settings", got=messages.kind_of(value)
            ),
        )
        return {}
    modes: dict[str, RunAs] = {}
    for name, settings in value.items():
        path = f"clusters.{name}"
        if not isinstance(name, str) or not is_cluster_name(name):
            report(path, messages.bad_cluster_name(name=str(name)))
            continue
        if not isinstance(settings, dict):
            report(
                path, messages.wrong_type(expected="a mapping with 'run_as'", got=messages.kind_of(settings))
            )
            continue
        for key in settings:
            if key not in CLUSTER_KEYS:
                report(
                    f"{path}.{key}", messages.unknown_key(key=str(key), allowed=CLUSTER_KEYS, suggestion=None)
                )
        mode = settings.get("run_as", RunAs.BOT.value)
        if mode not in {m.value for m in RunAs}:
            report(f"{path}.run_as", messages.bad_run_as(value=str(mode)))
            continue
        modes[name] = RunAs(mode)
    return modes


def _people(value: object, *, report: Report, is_user_id: Callable[[str], bool]) -> dict[str, KubeIdentity]:
    if not isinstance(value, dict):
        report(
            "identities",
            messages.wrong_type(expected="a mapping of user ids to identities", got=messages.kind_of(value)),
        )
        return {}
    people: dict[str, KubeIdentity] = {}
    for chat_user, entry in value.items():
        path = f"identities.{chat_user}"
        if not isinstance(chat_user, str) or not is_user_id(chat_user):
            report(path, messages.bad_identity_key(key=str(chat_user)))
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("user"), str) or not entry["user"].strip():
            report(
                path,
                messages.wrong_type(expected="a mapping with a 'user' name", got=messages.kind_of(entry)),
            )
            continue
        for key in entry:
            if key not in ("user", "groups"):
                report(
                    f"{path}.{key}",
                    messages.unknown_key(key=str(key), allowed=("user", "groups"), suggestion=None),
                )
        groups = entry.get("groups", [])
        if not isinstance(groups, list) or not all(
            isinstance(group, str) and group.strip() for group in groups
        ):
            report(
                f"{path}.groups",
                messages.wrong_type(expected="a list of group names", got=messages.kind_of(groups)),
            )
            continue
        names = [("user", entry["user"]), *((f"groups[{i}]", group) for i, group in enumerate(groups))]
        reserved = [(where, name) for where, name in names if name.startswith("system:")]
        for where, name in reserved:
            report(f"{path}.{where}", messages.system_identity(name=name))
        if not reserved:
            people[chat_user] = KubeIdentity(user=entry["user"], groups=tuple(groups))
    return people


EXTRA_KEYS = tuple(EXTRA_PREFIX + key for key in ("job-id", "approval-id", "approvers"))
"""Every extra a job may send: the worker's RBAC grants exactly these."""


def impersonation_rules(identities: Identities) -> list[dict[str, Any]]:
    """The ClusterRole rules that let the worker act as the policy's people and nobody else.

    ``impersonate`` on exactly the users and groups the policy names (``resourceNames``), and on the
    extras a job sends; an identity the policy does not name is refused by the API server itself.
    """
    users, groups = identities.impersonated()
    rules: list[dict[str, Any]] = []
    if users:
        rules.append(
            {
                "apiGroups": [""],
                "resources": ["users"],
                "verbs": ["impersonate"],
                "resourceNames": sorted(users),
            }
        )
    if groups:
        rules.append(
            {
                "apiGroups": [""],
                "resources": ["groups"],
                "verbs": ["impersonate"],
                "resourceNames": sorted(groups),
            }
        )
    if users:
        rules.append(
            {
                "apiGroups": ["authentication.k8s.io"],
                "resources": [f"userextras/{key}" for key in EXTRA_KEYS],
                "verbs": ["impersonate"],
            }
        )
    return rules
