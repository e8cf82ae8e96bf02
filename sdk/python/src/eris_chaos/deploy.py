"""Put eris onto a Kubernetes cluster from Python: ``install()`` runs ``helm upgrade --install`` with the project's
chart (shipped inside this package), waits for the agents to register and returns a connected ``Client``;
``uninstall()`` removes the release.

It drives the ``helm`` and ``kubectl`` binaries (not the kubernetes Python client): the chart is rendered and
applied exactly as ``helm install`` from the README does it, hooks and ``--wait`` included, and no further Python
dependency is needed. Either binary may be given as a command prefix (``["nsenter", "--net=…", "/bin/helm"]``).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .client import Client
from .errors import ErisError, ErisTimeoutError

Command = str | Sequence[str]
PathLike = str | os.PathLike[str]

#: The chart this package was built with (``charts/eris`` of the repository, copied into the wheel).
BUNDLED_CHART = Path(__file__).parent / "_chart" / "eris"


class DeployError(ErisError):
    """helm or kubectl failed, is missing, or the installed eris could not be reached; ``.command`` is what ran,
    ``.stderr`` what it said."""

    code = "ERIS_ERR_DEPLOY"

    def __init__(self, message: str, *, command: Sequence[str] = (), stderr: str = "") -> None:
        super().__init__(message)
        self.command = list(command)
        self.stderr = stderr


def _argv(tool: Command) -> list[str]:
    return [tool] if isinstance(tool, str) else list(tool)


def _run(
    tool: Command, args: Sequence[str], *, kubeconfig: PathLike | None, context: str | None, timeout: float
) -> str:
    base = _argv(tool)
    if not base:
        raise DeployError("an empty command was given for helm/kubectl")
    argv = [*base, *(["--kubeconfig", os.path.expanduser(kubeconfig)] if kubeconfig is not None else [])]
    if context is not None:  # helm spells it --kube-context, kubectl --context
        argv += ["--kube-context" if Path(base[-1]).name.startswith("helm") else "--context", context]
    argv += list(args)
    if shutil.which(argv[0]) is None:
        raise DeployError(f"{argv[0]!r} was not found on PATH (install it, or pass its path)", command=argv)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DeployError(f"{' '.join(argv)} did not end within {timeout:.0f} s", command=argv) from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()
        raise DeployError(
            f"{' '.join(argv)} exited {done.returncode}: {said[-2000:]}", command=argv, stderr=done.stderr
        )
    return done.stdout


def _auth_token(values: dict[str, Any], token: str | None) -> str:
    """The token the returned client uses; generates auth.token when the values set no auth at all."""
    auth: dict[str, Any] = values.setdefault("auth", {})
    elsewhere = any(auth.get(k) for k in ("existingSecret", "users", "existingUsersSecret"))
    if token is not None:
        if not (auth.get("token") or elsewhere):
            auth["token"] = token
        return token
    if auth.get("token"):
        return str(auth["token"])
    if elsewhere:
        raise DeployError("values set auth.users or an existing secret: pass token= (an operator's) for the client")
    auth["token"] = secrets.token_urlsafe(24)
    return str(auth["token"])


def install(
    *,
    release: str = "eris",
    namespace: str = "eris-system",
    kubeconfig: PathLike | None = None,
    context: str | None = None,
    values: Mapping[str, Any] | None = None,
    values_files: Sequence[PathLike] = (),
    chart: PathLike | None = None,
    token: str | None = None,
    coordinator_url: str | None = None,
    timeout: float = 300.0,
    helm: Command = "helm",
    kubectl: Command = "kubectl",
) -> Client:
    """Installs (or upgrades) eris as ``release`` in ``namespace`` and returns a ``Client`` once every agent the
    DaemonSet schedules has registered with the coordinator.

    ``values`` are the chart's values (``charts/eris/values.yaml``), nested as there. Without any ``auth`` in them,
    a token is generated and set as ``auth.token``; with ``auth.users`` pass ``token=`` for the client. The client
    reaches the coordinator at ``coordinator_url`` if given, else through its Service: a NodePort on the first
    node's address, or a LoadBalancer's ingress (a ClusterIP Service needs ``coordinator_url``, e.g. after your own
    ``kubectl port-forward``). ``timeout`` (seconds) bounds the whole install.
    """
    deadline = time.monotonic() + timeout
    merged: dict[str, Any] = copy.deepcopy(dict(values or {}))  # auth.token may be added: never to the caller's dict
    client_token = _auth_token(merged, token)
    chart_path = Path(chart) if chart is not None else BUNDLED_CHART
    if not (chart_path / "Chart.yaml").is_file():
        raise DeployError(f"no Helm chart at {chart_path} (Chart.yaml missing)")

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    with tempfile.TemporaryDirectory(prefix="eris-deploy-") as tmp:
        values_file = Path(tmp) / "values.yaml"
        values_file.write_text(yaml.safe_dump(merged))
        values_file.chmod(0o600)  # it holds the token
        args = ["upgrade", "--install", release, str(chart_path), "--namespace", namespace, "--create-namespace"]
        args += [a for f in values_files for a in ("--values", os.path.expanduser(f))] + ["--values", str(values_file)]
        args += ["--wait", "--timeout", f"{int(left())}s"]
        _run(helm, args, kubeconfig=kubeconfig, context=context, timeout=left() + 30)

    def kubectl_json(*args: str) -> Any:
        return json.loads(
            _run(kubectl, [*args, "-o", "json"], kubeconfig=kubeconfig, context=context, timeout=min(60.0, left()))
        )

    name = f"{release}-eris"
    url = coordinator_url or _coordinator_url(kubectl_json, namespace, name)
    agents_wanted = 0
    if merged.get("agent", {}).get("enabled", True):
        ds = kubectl_json("-n", namespace, "get", "daemonset", f"{name}-agent")
        agents_wanted = int(ds.get("status", {}).get("desiredNumberScheduled", 0))
    cluster = str(merged.get("cluster", "default"))
    client = Client(url, token=client_token)
    try:
        _wait_for_agents(client, cluster, agents_wanted, deadline)
    except BaseException:
        client.close()
        raise
    return client


def _coordinator_url(kubectl_json: Any, namespace: str, name: str) -> str:
    svc = kubectl_json("-n", namespace, "get", "service", f"{name}-coordinator")
    spec, port = svc["spec"], svc["spec"]["ports"][0]
    if spec.get("type") == "NodePort":
        nodes = kubectl_json("get", "nodes")["items"]
        addresses = {a["type"]: a["address"] for a in (nodes[0]["status"].get("addresses", []) if nodes else [])}
        host = addresses.get("ExternalIP") or addresses.get("InternalIP")
        if host is None:
            raise DeployError("the coordinator's Service is a NodePort but no node has an address")
        return f"http://{_host(host)}:{port['nodePort']}"
    if spec.get("type") == "LoadBalancer":
        ingress = svc.get("status", {}).get("loadBalancer", {}).get("ingress") or [{}]
        host = ingress[0].get("ip") or ingress[0].get("hostname")
        if host:
            return f"http://{_host(host)}:{port['port']}"
        raise DeployError("the coordinator's LoadBalancer has no ingress address yet: pass coordinator_url=")
    raise DeployError(
        f"the coordinator's Service is a {spec.get('type')}: set values coordinator.service.type=NodePort (or "
        "LoadBalancer), or pass coordinator_url= (e.g. after kubectl port-forward)"
    )


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _wait_for_agents(client: Client, cluster: str, wanted: int, deadline: float) -> None:
    last: Exception | None = None
    seen = 0
    while True:
        try:
            seen = sum(1 for a in client.agents() if a.cluster == cluster)
            if seen >= wanted:
                return
        except ErisError as exc:  # the Service may take a moment to route to the new pod
            last = exc
        if time.monotonic() >= deadline:
            raise ErisTimeoutError(
                f"{seen} of {wanted} agents of cluster {cluster!r} registered with {client.base_url} in time"
                + (f" (last error: {last})" if last else "")
            ) from last
        time.sleep(0.5)


def uninstall(
    *,
    release: str = "eris",
    namespace: str = "eris-system",
    kubeconfig: PathLike | None = None,
    context: str | None = None,
    timeout: float = 180.0,
    helm: Command = "helm",
) -> None:
    """``helm uninstall --wait``: the release's pods, Services and Secrets are gone when it returns."""
    _run(
        helm,
        ["uninstall", release, "--namespace", namespace, "--wait", "--timeout", f"{int(timeout)}s"],
        kubeconfig=kubeconfig,
        context=context,
        timeout=timeout + 30,
    )
