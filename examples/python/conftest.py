"""What a user's CI would bring up before the suite runs: a 3-member etcd cluster (Debian's etcd-server, on
loopback, each member restarted when it dies, as systemd would), an eris coordinator and a host-mode eris agent
from this clone (bin/eris.js; run `. scripts/node-lts.sh && npm run build` first — npm test does). Only
processes started here are signalled, by their process group, at the end."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "example-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGCONT)
            os.killpg(proc.pid, sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def start_eris(args: list[str], ready: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``node bin/eris.js …``; returns once it logs ``{"msg": ready, "url": …}``."""
    node = os.environ.get("ERIS_NODE") or shutil.which("node") or "node"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ERIS_")} | env
    proc = subprocess.Popen(
        [node, str(ROOT / "bin" / "eris.js"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=clean,
        start_new_session=True,
    )
    assert proc.stdout is not None
    logs: list[str] = []
    for raw in proc.stdout:
        line = raw.decode(errors="replace")
        logs.append(line)
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("msg") == ready:
                # Keep draining, so a full pipe never blocks it.
                threading.Thread(target=lambda: [None for _ in proc.stdout or []], daemon=True).start()
                return proc, str(record["url"])
    raise RuntimeError(f"{args[0]} exited ({proc.wait()}):\n{''.join(logs[-30:])}")


class Etcd:
    """Three members on loopback, restarted 0.5 s after they die (their data dirs survive, so they rejoin)."""

    def __init__(self, base: Path) -> None:
        self.token = f"eris-example-{os.getpid()}"
        self.names = ["m0", "m1", "m2"]
        self.ports = {n: (free_port(), free_port()) for n in self.names}
        self.base = base
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()
        cluster = ",".join(f"{n}=http://127.0.0.1:{p[1]}" for n, p in self.ports.items())
        self.args = {
            n: ["etcd", "--name", n, "--data-dir", str(base / n),
                "--listen-client-urls", f"http://127.0.0.1:{c}", "--advertise-client-urls", f"http://127.0.0.1:{c}",
                "--listen-peer-urls", f"http://127.0.0.1:{p}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{p}",
                "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", self.token,
                "--heartbeat-interval", "100", "--election-timeout", "1000"]
            for n, (c, p) in self.ports.items()
        }  # fmt: skip
        for n in self.names:
            self.spawn(n)
        threading.Thread(target=self.supervise, daemon=True).start()

    def spawn(self, name: str) -> None:
        log = (self.base / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(self.args[name], stdout=log, stderr=log, start_new_session=True)

    def supervise(self) -> None:
        while not self.stopping.wait(0.5):
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and not self.stopping.is_set():
                    self.spawn(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name][0]}"

    def healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                if all(
                    httpx.get(f"{self.url(n)}/health", timeout=1).json().get("health") == "true" for n in self.names
                ):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"etcd did not become healthy in {timeout} s (logs in {self.base})")

    def close(self) -> None:
        self.stopping.set()
        for proc in self.procs.values():
            stop(proc, signal.SIGKILL)


@pytest.fixture(scope="session", autouse=True)
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    assert shutil.which("etcd"), "etcd is part of the test bed (scripts/install-testbed.sh installs etcd-server)"
    base = tmp_path_factory.mktemp("example")
    cluster = Etcd(base)
    coordinator: subprocess.Popen[bytes] | None = None
    agent: subprocess.Popen[bytes] | None = None
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("ERIS_") and k != "ERIS_NODE"}
    try:
        cluster.healthy()
        coordinator, url = start_eris(
            [
                "coordinator",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                str(base / "coordinator"),
                "--probe-allow",
                "loopback",
            ],
            "eris-coordinator listening",
            {"ERIS_COORDINATOR_TOKEN": TOKEN},
        )
        agent, _ = start_eris(
            ["agent", "--listen", "127.0.0.1:0", "--state-dir", str(base / "agent"), "--no-cri", "--host-processes",
             "--coordinator", "ws" + url.removeprefix("http"), "--cluster", "example", "--node-name", "node-1"],
            "eris-agent listening",
            {"ERIS_AGENT_TOKEN": TOKEN},
        )  # fmt: skip
        os.environ.update(
            {
                "ERIS_COORDINATOR": url,
                "ERIS_TOKEN": TOKEN,
                "ERIS_CONFIG": str(base / "no-contexts.yaml"),
            }
        )
        deadline = time.monotonic() + 15
        while not httpx.get(f"{url}/healthz", timeout=2).json()["agents"]:
            assert time.monotonic() < deadline, "the agent did not register"
            time.sleep(0.1)
        yield {"token": cluster.token, **{n: cluster.url(n) for n in cluster.names}}
    finally:
        cluster.close()
        for proc in (agent, coordinator):
            if proc is not None:
                stop(proc)
        for key in ("ERIS_COORDINATOR", "ERIS_TOKEN", "ERIS_CONFIG"):
            os.environ.pop(key, None)
        os.environ.update(saved)
