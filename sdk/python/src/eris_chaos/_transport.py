"""What both clients share about talking HTTP: building the httpx client, turning transport failures into
ErisConnectionError / ErisTimeoutError (cause kept), and the TLS settings."""

from __future__ import annotations

import os
import ssl
from typing import Any

import httpx

from .config import Connection
from .errors import ErisConnectionError, ErisError, ErisTimeoutError

Verify = bool | str | os.PathLike[str] | ssl.SSLContext
"""True (system CAs), False (no check: testing only), a CA bundle path, or an ``ssl.SSLContext``."""

STREAM_READ_TIMEOUT = 60.0
"""The events stream sends a ping at least every 15 s; a minute of silence means the connection is dead."""


def ssl_verify(verify: Verify) -> bool | ssl.SSLContext:
    """httpx ≥ 0.28 wants an SSLContext for a CA bundle (a path is deprecated there)."""
    if isinstance(verify, bool | ssl.SSLContext):
        return verify
    return ssl.create_default_context(cafile=os.fspath(verify))


def client_options(conn: Connection, timeout: float, verify: Verify) -> dict[str, Any]:
    headers = {"user-agent": "eris-chaos-python"}
    if conn.token:
        headers["authorization"] = f"Bearer {conn.token}"
    return {
        "base_url": conn.coordinator,
        "headers": headers,
        "timeout": httpx.Timeout(timeout),
        "verify": ssl_verify(verify),
        "follow_redirects": False,
    }


def stream_timeout(timeout: float) -> httpx.Timeout:
    return httpx.Timeout(timeout, read=max(STREAM_READ_TIMEOUT, timeout))


def network_error(exc: httpx.TransportError, what: str, base_url: str, timeout: float) -> ErisError:
    """A timeout is ErisTimeoutError, anything else (refused, reset, TLS) ErisConnectionError; both name the URL."""
    if isinstance(exc, httpx.TimeoutException):
        return ErisTimeoutError(
            f"{what}: the coordinator at {base_url} did not answer within {timeout:g} s ({type(exc).__name__})"
        )
    reason = str(exc) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in reason:
        reason = f"{reason}: {cause}"
    return ErisConnectionError(f"{what}: cannot reach the coordinator at {base_url}: {reason}")
