"""An etcd cluster survives losing a member — written the way a user of eris-chaos writes it.

The ``eris`` and ``frozen`` fixtures come from the eris-chaos pytest plugin (pip install eris-chaos); the
coordinator is found as the eris CLI finds it (here conftest.py sets ERIS_COORDINATOR and ERIS_TOKEN; in your CI,
`pytest --eris-coordinator https://eris.example:7700` or `eris context use ...`). ``etcd`` is this suite's own
fixture: the client URLs and the cluster token of the cluster under test.
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import httpx

from eris_chaos import Client
from eris_chaos.pytest_plugin import FrozenFactory
from eris_chaos.testing import assert_recovery

DRILL = Path(__file__).parent / "drills" / "etcd-member-loss.yaml"


def put_within(url: str, key: str, value: str, within: float) -> float:
    """A write through etcd's v3 JSON gateway, retried until it succeeds; returns how long that took.

    A write needs a quorum. If the frozen member was the leader, the others first elect a new one (about one
    election timeout) and a write sent meanwhile hangs until etcd's own request timeout, so each try is short.
    """

    def b64(s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    started = time.monotonic()
    while True:
        try:
            httpx.post(f"{url}/v3/kv/put", json={"key": b64(key), "value": b64(value)}, timeout=2).raise_for_status()
            return time.monotonic() - started
        except httpx.HTTPError:
            if time.monotonic() - started > within:
                raise
            time.sleep(0.2)


def test_writes_go_on_while_one_member_is_frozen(etcd: dict[str, str], frozen: FrozenFactory) -> None:
    members = {"processes": {"cmdline": f"^etcd .*--name m1 .*--initial-cluster-token {etcd['token']}"}}
    with frozen(members, lease="30s") as fault:
        assert len(fault.pids) == 1
        # Two of three still make a quorum: a write goes through within a few election timeouts (1 s here).
        took = put_within(etcd["m0"], "written-while-m1-is-frozen", "yes", within=10)
    print(f"a write went through {took:.2f} s after m1 froze")
    put_within(etcd["m1"], "m1-answers-again", "yes", within=10)


def test_the_cluster_detects_and_recovers_from_a_member_loss(etcd: dict[str, str], eris: Client) -> None:
    drill = DRILL.read_text().replace("${CLUSTER_TOKEN}", etcd["token"])
    report = eris.run(drill, seed=os.getpid(), timeout=300)
    assert_recovery(report, detected_within="10s", recovered_within="90s")
    [member] = report.timeline
    print(
        f"etcd member {member.target.pid}: detected in {member.time_to_detect}, recovered in {member.time_to_recover}"
    )
