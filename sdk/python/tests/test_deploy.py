"""eris_chaos.deploy: its errors here, against real helm where one is needed; and (when test/k8s/cluster.test.ts runs
this file with ERIS_K8S_KUBECONFIG set, on its Kubernetes test bed) a whole install → freeze an etcd member →
resume → uninstall on a real one-node cluster."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from eris_chaos import deploy
from eris_chaos.deploy import DeployError

from .harness import ROOT

CACHE_HELM = Path(os.environ.get("ERIS_K8S_BIN", "/var/cache/eris-testbed/k8s-v1.34.4/bin")) / "helm"
KUBECONFIG = os.environ.get("ERIS_K8S_KUBECONFIG")
NETNS = os.environ.get("ERIS_K8S_NETNS", "eris-k8s")


def test_the_wheel_carries_the_repository_chart() -> None:
    for name in ("Chart.yaml", "values.yaml", "templates/agent-daemonset.yaml"):
        assert (deploy.BUNDLED_CHART / name).read_text() == (ROOT / "charts" / "eris" / name).read_text()


def test_a_missing_helm_is_named() -> None:
    with pytest.raises(DeployError, match="'no-such-helm' was not found on PATH") as info:
        deploy.install(helm="no-such-helm", timeout=5)
    assert info.value.code == "ERIS_ERR_DEPLOY"
    assert info.value.command[0] == "no-such-helm"


def test_a_folder_without_a_chart_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match=r"no Helm chart at .* \(Chart.yaml missing\)"):
        deploy.install(chart=tmp_path, helm="true")


def test_values_with_users_need_a_token() -> None:
    with pytest.raises(DeployError, match="pass token="):
        deploy.install(values={"auth": {"users": [{"id": "ci", "role": "operator", "token": "x" * 16}]}}, helm="true")


@pytest.mark.skipif(not CACHE_HELM.exists(), reason=f"no helm at {CACHE_HELM} (scripts/install-testbed.sh)")
def test_what_helm_says_is_kept_when_it_fails(tmp_path: Path) -> None:
    # A kubeconfig naming a port nothing listens on: real helm fails to reach the cluster and says so.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\n"
    )
    with pytest.raises(DeployError, match=r"upgrade --install eris .* exited 1: .*127\.0\.0\.1:9") as info:
        deploy.install(kubeconfig=kubeconfig, helm=str(CACHE_HELM), timeout=20)
    assert "--kubeconfig" in info.value.command
    assert info.value.stderr


# --- on the Kubernetes test bed (test/k8s/cluster.test.ts runs this with the bed up) ------------------------------

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


@pytest.mark.skipif(KUBECONFIG is None, reason="needs the Kubernetes test bed: run by test/k8s/cluster.test.ts")
def test_install_freeze_an_etcd_member_and_uninstall_on_the_test_bed() -> None:
    assert KUBECONFIG is not None
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
            agents = client.agents()
            assert [(a.cluster, a.node) for a in agents] == [("testbed-python", "eris-node")]
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
