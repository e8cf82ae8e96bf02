"""AsyncClient does what Client does: the same calls, answers and errors, freeze() resuming on an exception and
on cancellation, events resumed the same way. Plain asyncio.run(), so no pytest plugin for asyncio is needed."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from eris_chaos import AsyncClient, Client, NotFoundError, ValidationError
from eris_chaos.aio import AsyncDrills, AsyncFaults, AsyncRuns
from eris_chaos.client import Drills, Faults, Runs

from .conftest import Cluster
from .harness import proc_state, sample_drill, wait_for


def public(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(f) for name, f in vars(cls).items() if callable(f) and not name.startswith("_")}


@pytest.mark.parametrize(
    ("sync", "aio"), [(Client, AsyncClient), (Faults, AsyncFaults), (Drills, AsyncDrills), (Runs, AsyncRuns)]
)
def test_the_same_surface(sync: type, aio: type) -> None:
    s, a = public(sync), public(aio)
    s.pop("close", None), a.pop("aclose", None)
    assert s.keys() == a.keys()
    for name in s:
        assert list(s[name].parameters) == list(a[name].parameters), name


def test_the_same_answers_and_errors(client: Client, cluster: Cluster) -> None:
    async def main() -> None:
        async with AsyncClient(cluster.url, cluster.token) as eris:
            assert (await eris.version()) == client.version()
            assert (await eris.health()).agents == 1
            assert [a.id for a in await eris.agents()] == [a.id for a in client.agents()]
            group = {"processes": {"cmdline": f"--tag {cluster.tag}"}, "count": 1, "seed": "s"}
            assert (await eris.preview(group)).picked == client.preview(group).picked
            saved = await eris.drills.save(sample_drill(cluster.tag, "py-async"))
            assert (await eris.drills.get(saved.name)).name == "py-async"
            assert "py-async" in [d.name for d in await eris.drills.list()]
            dry = await eris.runs.start("py-async", dry_run=True, seed=1)
            assert dry.groups["all"].matched == 3
            with pytest.raises(ValidationError) as bad:
                await eris.preview({"processes": {"cmdline": "("}})
            assert (bad.value.path or "").startswith("target.processes.cmdline")
            with pytest.raises(NotFoundError):
                await eris.runs.get("nope")
            assert (await eris.drills.delete("py-async")) == "py-async"
            assert (await eris.audit(action="drill.delete", limit=1)).records[0].target == "py-async"

    asyncio.run(main())


def test_a_run_followed_by_events_and_waited_for(cluster: Cluster) -> None:
    cluster.members.healthy()

    async def main() -> None:
        async with AsyncClient(cluster.url, cluster.token) as eris:
            report = await eris.run(sample_drill(cluster.tag, "py-async-run"), seed=5, timeout=120)
            assert report.status == "passed", report.describe()
            assert report.timeline[0].time_to_recover is not None
            events = [e async for e in eris.runs.events(report.id)]
            assert events[-1].is_final
            assert "<testsuite" in await eris.runs.report(report.id, "junit")
            assert (await eris.runs.report(report.id)).id == report.id
            assert report.id in [r.id for r in await eris.runs.list(limit=5)]
            fault = await eris.faults.create(
                {"processes": {"cmdline": f"--name m0 .*--tag {cluster.tag}"}}, lease="10s"
            )
            assert fault.id in [f.id for f in await eris.faults.list()]
            assert (await eris.faults.get(fault.id)).signal == "SIGSTOP"
            assert (await eris.faults.resume(fault.id)).resume.confirmed

    asyncio.run(main())
    wait_for(lambda: cluster.members.stopped() == [], 5, "nothing left stopped")


def test_freeze_resumes_on_an_exception_and_on_cancellation(cluster: Cluster) -> None:
    pid = cluster.members.pid("m2")
    group = {"processes": {"cmdline": f"--name m2 .*--tag {cluster.tag}"}}
    inside = asyncio.Event()

    async def frozen_forever(eris: AsyncClient) -> None:
        async with eris.freeze(group, lease="60s"):
            inside.set()
            await asyncio.sleep(3600)

    async def main() -> None:
        async with AsyncClient(cluster.url, cluster.token) as eris:
            with pytest.raises(RuntimeError, match="boom"):
                async with eris.freeze(group, lease="60s") as fault:
                    assert fault.pids == [pid] and proc_state(pid) == "T"
                    raise RuntimeError("boom")
            wait_for(lambda: proc_state(pid) in ("R", "S"), 3, "resumed after the exception")

            task = asyncio.create_task(frozen_forever(eris))
            await inside.wait()
            assert proc_state(pid) == "T"
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            wait_for(lambda: proc_state(pid) in ("R", "S"), 3, "resumed after the cancellation")

    asyncio.run(main())
