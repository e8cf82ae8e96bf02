"""A coordinator serving HTTPS with its own certificate (made as test/coordinator-tls.test.ts makes it): trusted
through a CA bundle, refused without it (a connection error naming the cause), accepted with verify=False."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from eris_chaos import AsyncClient, Client, ErisConnectionError

from .harness import ErisProcess, start_coordinator

TOKEN = "py-tls-token"


@pytest.fixture(scope="module")
def tls_coordinator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ErisProcess, Path]]:
    openssl = shutil.which("openssl")
    assert openssl is not None, "openssl is part of the test bed (scripts/install-testbed.sh)"
    d = tmp_path_factory.mktemp("tls")
    # A subjectAltName: Python checks an IP address against the SAN only, never the CN.
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    coordinator = start_coordinator(
        d / "data", TOKEN, "--tls-cert", str(d / "cert.pem"), "--tls-key", str(d / "key.pem")
    )
    try:
        yield coordinator, d / "cert.pem"
    finally:
        coordinator.stop()


def test_https_with_a_ca_bundle(tls_coordinator: tuple[ErisProcess, Path]) -> None:
    coordinator, cert = tls_coordinator
    assert coordinator.url.startswith("https://127.0.0.1:")
    with Client(coordinator.url, TOKEN, verify=cert) as eris:
        assert eris.version().version[0].isdigit()
        assert eris.agents() == []
    context = ssl.create_default_context(cafile=str(cert))
    with Client(coordinator.url, TOKEN, verify=context) as eris:
        assert eris.health().status == "ok"


def test_an_untrusted_certificate_is_a_connection_error(tls_coordinator: tuple[ErisProcess, Path]) -> None:
    coordinator, _ = tls_coordinator
    with pytest.raises(ErisConnectionError, match="CERTIFICATE_VERIFY_FAILED") as refused:
        Client(coordinator.url, TOKEN).version()
    assert coordinator.url in str(refused.value)
    assert refused.value.__cause__ is not None


def test_verify_false_and_async(tls_coordinator: tuple[ErisProcess, Path]) -> None:
    import asyncio

    coordinator, cert = tls_coordinator
    with Client(coordinator.url, TOKEN, verify=False) as eris:
        assert eris.health().status == "ok"

    async def main() -> str:
        async with AsyncClient(coordinator.url, TOKEN, verify=str(cert)) as eris:
            return (await eris.version()).coordinator_id

    assert asyncio.run(main())
