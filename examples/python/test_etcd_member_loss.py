"""An etcd cluster survives losing a member — written the way a user of eris-chaos writes it.

The ``eris`` and ``frozen`` fixtures come from the eris-chaos pytest plugin (pip install eris-chaos); the
coordinator is found as the eris CLI finds it (here conftest.py sets ERIS_COORDINATOR and ERIS_TOKEN; in your CI,
`pytest --eris-coordinator https://eris.example:7700` or `eris context use ...`). ``etcd`` is this suite's own
fixture: the client URLs and the cluster token of the cluster under test.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx

from eris_chaos import Client
from eris_chaos.pytest_plugin import FrozenFactory
from eris_chaos.testing import assert_recovery

DRILL = Path(__file__).parent / "drills" / "etcd-member-loss.yaml"


def put(url: str, key: str, value: str) -> None:
    """A write through etcd's v3 JSON gateway; it needs a quorum, so it fails if the cluster lost one."""

    def b64(s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    httpx.post(f"{url}/v3/kv/put", json={"key": b64(key), "value": b64(value)}, timeout=5).raise_for_status()


def test_writes_go_on_while_one_member_is_frozen(etcd: dict[str, str], frozen: FrozenFactory) -> None:
    members = {"processes": {"cmdline": f"^etcd .*--name m1 .*--initial-cluster-token {etcd['token']}"}}
    with frozen(members, lease="30s") as fault:
        assert len(fault.pids) == 1
        put(etcd["m0"], "written-while-m1-is-frozen", "yes")  # two of three still make a quorum
    put(etcd["m1"], "m1-answers-again", "yes")


def test_the_cluster_detects_and_recovers_from_a_member_loss(etcd: dict[str, str], eris: Client) -> None:
    drill = DRILL.read_text().replace("${CLUSTER_TOKEN}", etcd["token"])
    report = eris.run(drill, seed=os.getpid(), timeout=300)
    assert_recovery(report, detected_within="10s", recovered_within="90s")
    [member] = report.timeline
    print(
        f"etcd member {member.target.pid}: detected in {member.time_to_detect}, recovered in {member.time_to_recover}"
    )
