"""The pytest plugin (entry point ``pytest11``): a session-scoped ``eris`` client and a ``frozen`` helper.

The coordinator comes from ``--eris-coordinator`` / ``--eris-context``, else as the CLI resolves it (env, the
contexts file). A test that uses neither fixture never connects anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from ._calls import TargetGroup
from .client import Client
from .models import Fault

FrozenFactory = Callable[..., AbstractContextManager[Fault]]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("eris", "eris chaos drills")
    group.addoption(
        "--eris-coordinator", default=None, help="eris coordinator URL (default: as the eris CLI resolves it)"
    )
    group.addoption("--eris-context", default=None, help="a named coordinator from the eris contexts file")
    group.addoption("--eris-token-file", default=None, help="file holding the bearer token")


@pytest.fixture(scope="session")
def eris(pytestconfig: pytest.Config) -> Iterator[Client]:
    """A ``Client`` for the whole session, closed at its end."""
    client = Client(
        base_url=pytestconfig.getoption("eris_coordinator"),
        context=pytestconfig.getoption("eris_context"),
        token_file=pytestconfig.getoption("eris_token_file"),
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def frozen(eris: Client) -> FrozenFactory:
    """``with frozen({"processes": {"cmdline": "^etcd"}}, lease="30s") as fault:`` — resumed however the block ends."""

    def freeze(target: TargetGroup, lease: str | int = "30s", **options: object) -> AbstractContextManager[Fault]:
        return eris.freeze(target, lease, **options)  # type: ignore[arg-type]

    return freeze
