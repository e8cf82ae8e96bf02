"""eris_chaos.deploy: its errors, against real helm where one is needed. The whole install → freeze → uninstall on
the Kubernetes test bed is in on_k8s_bed.py, which test/k8s/cluster.test.ts runs with the bed up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eris_chaos import deploy
from eris_chaos.deploy import DeployError

from .harness import ROOT

CACHE_HELM = Path(os.environ.get("ERIS_K8S_BIN", "/var/cache/eris-testbed/k8s-v1.34.4/bin")) / "helm"


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
