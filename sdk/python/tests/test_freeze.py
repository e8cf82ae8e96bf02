"""``with client.freeze(...)``: the target is stopped inside the block and running after it, however it ends —
read from /proc, not taken from the API's word."""

from __future__ import annotations

import signal

import pytest

from eris_chaos import Client, ErisConnectionError
from eris_chaos.testing import frozen

from .conftest import Cluster
from .harness import proc_state, wait_for

pytestmark = pytest.mark.usefixtures("no_member_left_stopped")


def group(cluster: Cluster, name: str) -> dict[str, object]:
    return {"processes": {"cmdline": f"--name {name} .*--tag {cluster.tag}"}}


def running(pid: int) -> bool:
    return proc_state(pid) in ("R", "S")


def test_resumes_when_the_block_ends(client: Client, cluster: Cluster) -> None:
    pid = cluster.members.pid("m1")
    with client.freeze(group(cluster, "m1"), lease="30s") as fault:
        assert fault.pids == [pid]
        assert proc_state(pid) == "T"
    wait_for(lambda: running(pid), 3, "m1 running")
    assert client.faults.get(fault.id).parts[0].fault.state == "resumed"


def test_resumes_when_the_block_raises(client: Client, cluster: Cluster) -> None:
    pid = cluster.members.pid("m1")
    with pytest.raises(ZeroDivisionError), client.freeze(group(cluster, "m1")):
        assert proc_state(pid) == "T"
        _ = 1 / 0
    wait_for(lambda: running(pid), 3, "m1 running")


def test_resumes_on_ctrl_c(client: Client, cluster: Cluster) -> None:
    """A real SIGINT to this process, as Ctrl-C sends: Python raises KeyboardInterrupt inside the block."""
    pid = cluster.members.pid("m2")
    with pytest.raises(KeyboardInterrupt), client.freeze(group(cluster, "m2"), lease="60s"):
        assert proc_state(pid) == "T"
        signal.raise_signal(signal.SIGINT)
        pytest.fail("SIGINT did not interrupt")
    wait_for(lambda: running(pid), 3, "m2 running")


def test_the_testing_helper_freezes_the_same_way(client: Client, cluster: Cluster) -> None:
    pid = cluster.members.pid("m0")
    with frozen(client, group(cluster, "m0"), "10s") as fault:
        assert fault.pids == [pid] and proc_state(pid) == "T"
    wait_for(lambda: running(pid), 3, "m0 running")


def test_a_coordinator_that_cannot_be_reached_freezes_nothing(cluster: Cluster) -> None:
    with pytest.raises(ErisConnectionError), Client("http://127.0.0.1:1", "t").freeze(group(cluster, "m0")):
        pytest.fail("the block must not run")
    assert cluster.members.stopped() == []
