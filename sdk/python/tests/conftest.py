"""Session fixtures: one real coordinator, one host-mode agent and three sample members for the whole run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eris_chaos import AsyncClient, Client

from .harness import (
    ErisProcess,
    Members,
    assert_built,
    link_url,
    start_agent,
    start_coordinator,
    start_members,
    wait_for,
)

TOKEN = "py-sdk-token"


@dataclass
class Cluster:
    coordinator: ErisProcess
    agent: ErisProcess
    members: Members
    url: str
    token: str
    data_dir: Path

    @property
    def tag(self) -> str:
        return self.members.tag


@pytest.fixture(autouse=True, scope="session")
def _no_user_eris_settings() -> Iterator[None]:
    """A developer's contexts file or ERIS_* variables never leak into a test (as cleanEnv() in the TS tests)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("ERIS_") and k != "ERIS_NODE"}
    for key in saved:
        del os.environ[key]
    os.environ["ERIS_CONFIG"] = f"/nonexistent/eris-no-config-{os.getpid()}.yaml"
    try:
        yield
    finally:
        del os.environ["ERIS_CONFIG"]
        os.environ.update(saved)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    assert_built()
    base = tmp_path_factory.mktemp("eris")
    members = start_members(f"eris-py-{os.getpid()}", ["m0", "m1", "m2"])
    coordinator: ErisProcess | None = None
    agent: ErisProcess | None = None
    try:
        coordinator = start_coordinator(base / "coordinator", TOKEN)
        agent = start_agent(base / "agent", TOKEN, link_url(coordinator.url))
        with Client(coordinator.url, TOKEN) as client:
            wait_for(lambda: len(client.agents()) == 1, 15, "the agent to register")
        members.healthy()
        yield Cluster(coordinator, agent, members, coordinator.url, TOKEN, base)
    finally:
        members.close()
        if agent is not None:
            agent.stop()
        if coordinator is not None:
            coordinator.stop()


@pytest.fixture
def client(cluster: Cluster) -> Iterator[Client]:
    with Client(cluster.url, cluster.token) as c:
        yield c


@pytest.fixture
def aclient(cluster: Cluster) -> AsyncClient:
    return AsyncClient(cluster.url, cluster.token)


@pytest.fixture
def no_member_left_stopped(cluster: Cluster) -> Iterator[None]:
    """Checks after the test that nothing it froze was left frozen."""
    yield
    wait_for(lambda: cluster.members.stopped() == [], 5, "every member running again")
