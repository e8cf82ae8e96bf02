"""The pytest plugin as a user meets it: installed by the package (entry point pytest11), an inner pytest run
with ``--eris-coordinator`` and ``ERIS_TOKEN``, the ``eris`` and ``frozen`` fixtures, and assert_recovery()
failing with the run's timeline in the report."""

from __future__ import annotations

import pytest

from eris_chaos import Client
from eris_chaos.testing import RecoveryAssertionError, assert_recovery, duration

from .conftest import Cluster
from .harness import sample_drill

pytest_plugins = ["pytester"]


def test_fixtures_and_the_recovery_assertion_in_a_users_suite(
    pytester: pytest.Pytester, client: Client, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.members.healthy()
    report = client.run(sample_drill(cluster.tag, "py-plugin"), timeout=120)
    assert report.passed, report.describe()
    pytester.makepyfile(
        test_user=f"""
from pathlib import Path
from eris_chaos.testing import assert_recovery

MEMBER = {{"processes": {{"cmdline": "--name m1 .*--tag {cluster.tag}"}}}}

def state(pid):
    stat = Path(f"/proc/{{pid}}/stat").read_text()
    return stat[stat.rindex(")") + 2]

def test_the_session_client(eris):
    assert [a.id for a in eris.agents()] == ["lab/node-1"]

def test_frozen_for_a_block(frozen):
    with frozen(MEMBER, lease="10s") as fault:
        assert state(fault.pids[0]) == "T"
    assert state(fault.pids[0]) in ("R", "S")

def test_generous_bounds_pass(eris):
    assert_recovery(eris.runs.report("{report.id}"), detected_within="30s", recovered_within="60s")

def test_tight_bounds_fail_with_the_timeline(eris):
    assert_recovery(eris.runs.report("{report.id}"), detected_within="1ms", recovered_within="1ms")
"""
    )
    monkeypatch.setenv("ERIS_TOKEN", cluster.token)
    result = pytester.runpytest_subprocess("--eris-coordinator", cluster.url, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RecoveryAssertionError: run * missed its bounds:*",
            "*member pid *: detected after *, wanted within 0:00:00.001000*",
            "*timeline:*",
            "*step * freeze one member: passed in *",
            "*target member name=m? (pid *) on node-1: SIGSTOP, SIGKILL; detected after *; recovered after *",
        ]
    )


def test_the_help_lists_the_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(
        ["eris chaos drills:", "*--eris-coordinator=ERIS_COORDINATOR", "*--eris-context=ERIS_CONTEXT"]
    )


def test_assert_recovery_on_a_report(client: Client, cluster: Cluster) -> None:
    [latest] = client.runs.list(drill="py-plugin", limit=1)
    report = client.runs.report(latest.id)
    assert_recovery(report, detected_within="30s", recovered_within=60)
    with pytest.raises(RecoveryAssertionError, match=r"never detected|detected after") as missed:
        assert_recovery(report, detected_within=0)
    assert report.describe() in str(missed.value)


def test_durations() -> None:
    assert duration("500ms").total_seconds() == 0.5
    assert duration("2m").total_seconds() == 120
    assert duration(1.5).total_seconds() == 1.5
    with pytest.raises(ValueError, match="not a duration: '5 parsecs'"):
        duration("5 parsecs")
