"""Kubernetes versions and the version skew policy, as pure functions (no cluster, no I/O).

Two rules exist (the version skew policy, https://kubernetes.io/releases/version-skew-policy/):

- **classic** (kube-apiserver before 1.28): kubelet and kube-proxy up to **two** minors older than
  kube-apiserver;
- **n-3** (KEP-3935, kube-apiserver 1.28 and later): kubelet and kube-proxy up to **three** minors
  older (two if the kubelet itself is older than 1.25), and kube-proxy within three minors of its node's
  kubelet.

Under both: nothing is newer than the oldest kube-apiserver, HA apiservers are within one minor of each
other, controller-manager and scheduler are at most one minor older, and kube-apiserver never skips a
minor when it is upgraded. Skew among apiservers narrows every range: lower bounds count from the newest
apiserver, upper bounds from the oldest.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?")

N3_SINCE_MINOR = 28
"""The first kube-apiserver minor (1.28) under which the n-3 rule applies."""

N3_KUBELET_FLOOR_MINOR = 25
"""Kubelets older than 1.25 keep the two-minor skew even under the n-3 rule."""


@functools.total_ordering
@dataclasses.dataclass(frozen=True)
class Version:
    """A Kubernetes version ``vMAJOR.MINOR[.PATCH]``; ``patch=None`` means "a minor release".

    Versions order by (major, minor, patch) with a missing patch read as 0, so ``v1.32`` sorts with
    ``v1.32.0``; :meth:`is_older_than` is the question upgrades ask.
    """

    major: int
    minor: int
    patch: int | None = None

    @property
    def key(self) -> tuple[int, int, int]:
        """The sort key: a missing patch counts as 0."""
        return (self.major, self.minor, self.patch or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key < other.key

    def is_older_than(self, target: Version) -> bool:
        """Whether something at this version still needs upgrading to ``target``.

        A minor target (``v1.32``) is reached by any patch of that minor; a patch target by that patch.
        """
        if target.patch is None:
            return self.release.key < target.key
        return self.key < target.key

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}" + ("" if self.patch is None else f".{self.patch}")

    @property
    def release(self) -> Version:
        """The minor release this version belongs to (``v1.31.4`` → ``v1.31``)."""
        return Version(self.major, self.minor)

    def minors_after(self, other: Version) -> int:
        """How many minor releases this is ahead of ``other`` (negative when behind; same major assumed)."""
        return (self.major - other.major) * 1000 + self.minor - other.minor

    def next_minor(self) -> Version:
        """The next minor release (``v1.31.4`` → ``v1.32``)."""
        return Version(self.major, self.minor + 1)

    def plus_minors(self, count: int) -> Version:
        """The minor release ``count`` minors later (earlier when negative)."""
        return Version(self.major, self.minor + count)


def parse_version(text: str) -> Version | None:
    """``"v1.31.4"``, ``"1.32"`` or ``"v1.30.6-eks-1"`` as a :class:`Version`; ``None`` if it is not one."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return Version(int(major), int(minor), None if patch is None else int(patch))


def image_tag(image: str) -> str | None:
    """The tag of an image reference (``registry.k8s.io/kube-proxy:v1.31.4`` → ``v1.31.4``), digest ignored."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


@dataclasses.dataclass(frozen=True)
class SkewRule:
    """How far node components may lag behind kube-apiserver, and why this rule applies."""

    name: str
    node_minors: int
    reason: str
    kube_proxy_near_kubelet: bool = False
    """Whether kube-proxy must also stay within ``node_minors`` of its own node's kubelet (n-3 rule)."""

    def node_minors_for(self, kubelet: Version) -> int:
        """Minors a kubelet of this version may lag (the n-3 rule keeps two for kubelets before 1.25)."""
        if self.node_minors > 2 and kubelet.minor < N3_KUBELET_FLOOR_MINOR and kubelet.major == 1:
            return 2
        return self.node_minors


def rule_for(apiserver: Version) -> SkewRule:
    """The skew rule in force for a control plane at ``apiserver``."""
    if (apiserver.major, apiserver.minor) >= (1, N3_SINCE_MINOR):
        return SkewRule(
            name="n-3",
            node_minors=3,
            reason=(
                f"kube-apiserver {apiserver.release} is 1.28 or newer, so the n-3 rule (KEP-3935) applies: "
                "kubelet and kube-proxy may be up to three minors older"
            ),
            kube_proxy_near_kubelet=True,
        )
    return SkewRule(
        name="classic",
        node_minors=2,
        reason=(
            f"kube-apiserver {apiserver.release} is older than 1.28, so the classic rule applies: "
            "kubelet and kube-proxy may be up to two minors older"
        ),
    )


@dataclasses.dataclass(frozen=True)
class Component:
    """One running component: what it is, where it runs, and its version."""

    kind: str
    """``kube-apiserver``, ``kube-controller-manager``, ``kube-scheduler``, ``kubelet``, ``kube-proxy``, ``etcd``."""
    where: str
    version: Version


@dataclasses.dataclass(frozen=True)
class Violation:
    """One component outside the range the rule allows."""

    component: Component
    allowed_low: Version
    allowed_high: Version
    why: str


CONTROL_PLANE_FOLLOWERS = ("kube-controller-manager", "kube-scheduler", "cloud-controller-manager")
NODE_COMPONENTS = ("kubelet", "kube-proxy")


def violations(components: Sequence[Component], *, rule: SkewRule | None = None) -> list[Violation]:
    """Every skew violation among ``components`` (the apiservers' own skew included)."""
    apiservers = [c.version for c in components if c.kind == "kube-apiserver"]
    if not apiservers:
        return []
    oldest, newest = min(apiservers).release, max(apiservers).release
    rule = rule or rule_for(oldest)
    found: list[Violation] = []
    if newest.minors_after(oldest) > 1:
        for component in components:
            if component.kind == "kube-apiserver":
                found.append(
                    Violation(
                        component,
                        newest.plus_minors(-1),
                        oldest.plus_minors(1),
                        "HA apiservers within one minor",
                    )
                )
    kubelets = {c.where: c.version for c in components if c.kind == "kubelet"}
    for component in components:
        version = component.version.release
        if component.kind in CONTROL_PLANE_FOLLOWERS:
            low, high, why = newest.plus_minors(-1), oldest, "at most one minor older than kube-apiserver"
        elif component.kind in NODE_COMPONENTS:
            lag = rule.node_minors_for(component.version)
            low, high, why = newest.plus_minors(-lag), oldest, f"up to {lag} minors older than kube-apiserver"
        else:
            continue
        if version < low or version > high:
            found.append(Violation(component, low, high, why))
        if rule.kube_proxy_near_kubelet and component.kind == "kube-proxy" and component.where in kubelets:
            kubelet = kubelets[component.where].release
            lag = rule.node_minors_for(kubelet)
            if abs(version.minors_after(kubelet)) > lag:
                found.append(
                    Violation(
                        component,
                        kubelet.plus_minors(-lag),
                        kubelet.plus_minors(lag),
                        f"within {lag} minors of its kubelet",
                    )
                )
    return found


def too_old_for(target: Version, components: Iterable[Component]) -> list[Component]:
    """Node components that would break the skew rule once kube-apiserver is at ``target``."""
    rule = rule_for(target)
    old: list[Component] = []
    for component in components:
        if component.kind not in NODE_COMPONENTS:
            continue
        floor = target.release.plus_minors(-rule.node_minors_for(component.version))
        if component.version.release < floor:
            old.append(component)
    return old


@dataclasses.dataclass(frozen=True)
class TargetCheck:
    """Whether kube-apiserver may go from ``current`` to ``target``, and the steps if it may not."""

    allowed: bool
    kind: str
    """``minor`` (one minor up), ``patch`` (same minor), ``same``, ``skip`` (more than one minor up), ``downgrade``."""
    intermediate: tuple[Version, ...] = ()


def check_target(current: Version, target: Version) -> TargetCheck:
    """The one-minor-at-a-time rule: one minor up or a newer patch of the same minor is allowed."""
    ahead = target.release.minors_after(current.release)
    if ahead == 1:
        return TargetCheck(True, "minor")
    if ahead > 1:
        steps = tuple(current.release.plus_minors(step) for step in range(1, ahead + 1))
        return TargetCheck(False, "skip", steps)
    if ahead < 0:
        return TargetCheck(False, "downgrade")
    if target.patch is not None and current.patch is not None and target.patch < current.patch:
        return TargetCheck(False, "downgrade")
    if target.patch is None or target.patch == current.patch:
        return TargetCheck(False, "same")
    return TargetCheck(True, "patch")
