"""Real processes for the tests: the project's own coordinator and agent (``node bin/eris.js``), sample members
restarted when they die (as systemd would), and /proc readers. Only processes started here are ever signalled,
by process group, in teardown."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
ERIS_BIN = ROOT / "bin" / "eris.js"
MEMBER = Path(__file__).resolve().parent / "fixtures" / "member.py"


def node_binary() -> str:
    """The Node.js the test runner ran (ERIS_NODE, set by scripts/run-tests.mjs), else node on PATH."""
    node = os.environ.get("ERIS_NODE") or shutil.which("node")
    if node is None:
        raise RuntimeError("no node on PATH: run `. scripts/node-lts.sh` first (npm test does)")
    return node


def assert_built() -> None:
    main = ROOT / "dist" / "cli" / "main.js"
    if not main.exists():
        raise RuntimeError("dist/cli/main.js is missing: run `npm run build` first (npm test does)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_state(pid: int) -> str | None:
    """The state letter of /proc/PID/stat (R, S, T, Z, …), or None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGKILL) -> None:
    """Signals the process group this harness started (its pgid is its own pid: start_new_session)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGCONT)
            os.killpg(proc.pid, sig)


@dataclass
class ErisProcess:
    """``node bin/eris.js coordinator|agent …``, started in a session of its own; ``url`` from its ready log line."""

    proc: subprocess.Popen[bytes]
    url: str
    logs: list[str]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                kill_group(self.proc)
                self.proc.wait(5)


def start_eris(args: list[str], ready: str, env: dict[str, str], timeout: float = 30.0) -> ErisProcess:
    """Starts it and waits for its JSON log line ``{"msg": ready, "url": …}``, as test/harness/agent-process.ts."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ERIS_")} | env
    proc = subprocess.Popen(
        [node_binary(), str(ERIS_BIN), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=full_env,
        start_new_session=True,
    )
    logs: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def drain() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            logs.append(line)
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and record.get("msg") == ready and record.get("url"):
                    url.append(str(record["url"]))
                    found.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found.wait(0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            kill_group(proc)
            raise RuntimeError(f"{args[0]} did not start (exit {proc.poll()}):\n" + "\n".join(logs[-40:]))
    return ErisProcess(proc, url[0], logs)


def start_coordinator(data_dir: Path, token: str, *extra: str) -> ErisProcess:
    return start_eris(
        ["coordinator", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir), "--probe-allow", "loopback", *extra],
        "eris-coordinator listening",
        {"ERIS_COORDINATOR_TOKEN": token},
    )


def start_agent(state_dir: Path, token: str, link_url: str, *extra: str) -> ErisProcess:
    """A host-mode agent (no container runtime): cluster ``lab``, node ``node-1``, zone ``z1``."""
    args = ["agent", "--listen", "127.0.0.1:0", "--state-dir", str(state_dir), "--no-cri", "--host-processes"]
    args += ["--coordinator", link_url, "--cluster", "lab", "--node-name", "node-1", "--zone", "z1", *extra]
    return start_eris(args, "eris-agent listening", {"ERIS_AGENT_TOKEN": token})


def link_url(http_url: str) -> str:
    return "ws" + http_url.removeprefix("http")


@dataclass
class Members:
    """Sample members restarted 0.3 s after they die; ``tag`` is on every command line."""

    tag: str
    ports: dict[str, int]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for name in self.ports:
            self._spawn(name)
        threading.Thread(target=self._supervise, daemon=True).start()

    def _spawn(self, name: str) -> None:
        cmd = [sys.executable, str(MEMBER), "--name", name, "--port", str(self.ports[name]), "--tag", self.tag]
        self.procs[name] = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
        )

    def _supervise(self) -> None:
        died: dict[str, float] = {}
        while not self._stopping.wait(0.1):
            with self._lock:
                for name, proc in self.procs.items():
                    if proc.poll() is None:
                        continue
                    # Restarted 0.3 s after it died, as a supervisor with a restart delay would.
                    since = died.setdefault(name, time.monotonic())
                    if time.monotonic() - since >= 0.3 and not self._stopping.is_set():
                        del died[name]
                        self._spawn(name)

    def pid(self, name: str) -> int:
        with self._lock:
            return self.procs[name].pid

    def pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in self.procs.values()]

    def healthy(self, timeout: float = 20.0) -> None:
        def all_up() -> bool:
            for port in self.ports.values():
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
            return True

        wait_for(all_up, timeout, "sample members healthy")

    def stopped(self) -> list[int]:
        return [pid for pid in self.pids() if proc_state(pid) == "T"]

    def close(self) -> None:
        self._stopping.set()
        with self._lock:
            for proc in self.procs.values():
                kill_group(proc)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)


def start_members(tag: str, names: Iterator[str] | list[str]) -> Members:
    members = Members(tag, {name: free_port() for name in names})
    members.start()
    return members


def sample_drill(tag: str, name: str = "py-node-failure", detect_timeout: str = "10s") -> str:
    """The node-failure drill of test/cli-harness.ts, for the members tagged ``tag``."""
    return f"""apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: {name}
spec:
  targets:
    member:
      processes:
        cmdline: --tag {tag}
      count: 1
    all:
      processes:
        cmdline: --tag {tag}
  probes:
    health:
      url: http://127.0.0.1:{{{{target.labels.port}}}}/health
      jq: .health == "true"
      timeout: 500ms
      interval: 100ms
  steps:
    - name: every member is healthy
      probe: health
      target: all
    - name: freeze one member
      signal: SIGSTOP
      target: member
      lease: 60s
    - name: its probe fails
      wait: health
      target: member
      until: fail
      timeout: {detect_timeout}
    - name: kill it
      signal: SIGKILL
      target: member
    - name: it recovers
      wait: health
      target: member
      until: pass
      timeout: 60s
      consecutive: 2
"""
