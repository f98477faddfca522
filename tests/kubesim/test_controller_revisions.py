"""ControllerRevisions (issue 14, item 3, kubesim's part): DaemonSets and StatefulSets record each
template they roll out, so that the real kubectl's ``rollout history`` works for them as on a cluster."""

from __future__ import annotations

from kubesim.server import Simulator
from kubesim.testing import Kubectl


def test_a_daemonsets_template_is_revision_one_owned_by_it(sim: Simulator) -> None:
    revisions, _ = sim.store.list("controllerrevisions", "kube-system")
    (proxy,) = [r for r in revisions if r["metadata"]["name"].startswith("kube-proxy-")]
    daemonset = sim.store.get("daemonsets", "kube-system", "kube-proxy")
    assert proxy["revision"] == 1
    assert proxy["metadata"]["ownerReferences"][0]["uid"] == daemonset["metadata"]["uid"]
    assert proxy["data"]["spec"]["template"]["$patch"] == "replace"
    assert proxy["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}


def test_a_new_template_is_the_next_revision(sim: Simulator) -> None:
    def new_image(obj: dict[str, object]) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.k8s.io/kube-proxy:v1.32.0"  # type: ignore[index]

    sim.store.mutate("daemonsets", "kube-system", "kube-proxy", new_image)
    sim.controllers.settle(timeout=10.0)
    revisions, _ = sim.store.list("controllerrevisions", "kube-system")
    assert sorted(r["revision"] for r in revisions if r["metadata"]["name"].startswith("kube-proxy-")) == [
        1,
        2,
    ]


def test_kubectl_rollout_history_of_a_daemonset_and_a_statefulset(kubectl: Kubectl) -> None:
    daemonset = kubectl("rollout", "history", "daemonset/kube-proxy", "-n", "kube-system", check=True)
    assert daemonset.stdout.split() == [
        "daemonset.apps/kube-proxy",
        "REVISION",
        "CHANGE-CAUSE",
        "1",
        "<none>",
    ]
    statefulset = kubectl("rollout", "history", "statefulset/cache", "-n", "default", check=True)
    assert statefulset.stdout.split() == ["statefulset.apps/cache", "REVISION", "CHANGE-CAUSE", "1", "<none>"]


def test_a_template_rolled_out_again_becomes_the_latest_revision(sim: Simulator) -> None:
    """Back to revision 1's template (a ``rollout undo``): its revision object is renumbered 3, as the
    DaemonSet controller does, and no new object is made."""

    def set_image(value: str) -> None:
        def change(obj: dict[str, object]) -> None:
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = value  # type: ignore[index]

        sim.store.mutate("daemonsets", "kube-system", "kube-proxy", change)
        sim.controllers.settle(timeout=10.0)

    set_image("registry.k8s.io/kube-proxy:v1.32.0")
    set_image("registry.k8s.io/kube-proxy:v1.31.4")
    revisions, _ = sim.store.list("controllerrevisions", "kube-system")
    proxies = {
        r["revision"]: r["data"]["spec"]["template"]["spec"]["containers"][0]["image"]
        for r in revisions
        if r["metadata"]["name"].startswith("kube-proxy-")
    }
    assert proxies == {2: "registry.k8s.io/kube-proxy:v1.32.0", 3: "registry.k8s.io/kube-proxy:v1.31.4"}
