"""eris_chaos.deploy on the Kubernetes test bed: install → freeze an etcd member → resume → uninstall on a real
three-node cluster. Its name keeps pytest's discovery away from it (it needs the bed up): test/k8s/cluster.test.ts brings
the bed up and runs it by name with ERIS_K8S_KUBECONFIG, ERIS_K8S_BIN and ERIS_K8S_NETNS set."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from eris_chaos import deploy

CACHE_HELM = Path(os.environ.get("ERIS_K8S_BIN", "/var/cache/eris-testbed/k8s-v1.34.4/bin")) / "helm"
KUBECONFIG = os.environ.get("ERIS_K8S_KUBECONFIG")
NETNS = os.environ.get("ERIS_K8S_NETNS", "eris-k8s")
NODES = ["eris-node", "eris-node-2", "eris-node-3"]

ERIS_NAMESPACE = "eris-python"


def in_node(binary: str) -> list[str]:
    """The bed's helm/kubectl, run in its network namespace so they reach nothing but the cluster."""
    return ["nsenter", f"--net=/run/netns/{NETNS}", str(CACHE_HELM.parent / binary)]


def kubectl_json(*args: str) -> dict[str, object]:
    assert KUBECONFIG is not None
    out = subprocess.run(
        [*in_node("kubectl"), "--kubeconfig", KUBECONFIG, *args, "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def container_processes(container_id: str) -> list[int]:
    """A container's processes as the machine numbers them (kubelet's cgroupfs paths end with the container id)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"/{container_id}\n" in (entry / "cgroup").read_text():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def state_of(pid: int) -> str | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_install_freeze_an_etcd_member_and_uninstall_on_the_test_bed() -> None:
    assert KUBECONFIG is not None, "ERIS_K8S_KUBECONFIG: the bed's kubeconfig (test/k8s/cluster.test.ts sets it)"
    client = deploy.install(
        namespace=ERIS_NAMESPACE,
        kubeconfig=KUBECONFIG,
        values={
            "cluster": "testbed-python",
            "image": {"pullPolicy": "Never"},
            "coordinator": {"persistence": {"enabled": False}, "service": {"type": "NodePort"}},
        },
        timeout=240,
        helm=in_node("helm"),
        kubectl=in_node("kubectl"),
    )
    try:
        with client:
            # one agent per node of the bed; the DaemonSet's pods may still be dialling in when helm returns
            deadline = time.monotonic() + 60
            while len(agents := client.agents()) < len(NODES) and time.monotonic() < deadline:
                time.sleep(0.25)
            assert sorted((a.cluster, a.node) for a in agents) == [("testbed-python", n) for n in NODES]
            pod = kubectl_json("-n", "etcd", "get", "pod", "etcd-0")
            statuses = pod["status"]["containerStatuses"]  # type: ignore[index]
            container_id = statuses[0]["containerID"].removeprefix("containerd://")
            pids = container_processes(container_id)
            assert pids, f"etcd-0's container {container_id} has processes on the machine"
            with client.freeze({"namespaces": ["etcd"], "pod": "^etcd-0$", "containers": ["^etcd$"]}, lease="60s") as f:
                assert len(f.pids) == len(pids)
                assert all(state_of(p) == "T" for p in pids), {p: state_of(p) for p in pids}
            assert all(state_of(p) in ("S", "R", "D") for p in pids), {p: state_of(p) for p in pids}
    finally:
        deploy.uninstall(namespace=ERIS_NAMESPACE, kubeconfig=KUBECONFIG, helm=in_node("helm"))
    left = kubectl_json("-n", ERIS_NAMESPACE, "get", "pods")
    assert [p["metadata"]["name"] for p in left["items"] if p["metadata"].get("deletionTimestamp") is None] == []  # type: ignore[attr-defined]
