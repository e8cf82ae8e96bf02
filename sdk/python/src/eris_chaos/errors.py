"""One exception hierarchy for the SDK, mirroring the coordinator's stable error codes (lib/errors.ts).

Catch ``ErisError`` for anything eris raises, ``ErisApiError`` (or one of its code subclasses) for an answer
the coordinator gave, ``ErisConnectionError`` / ``ErisTimeoutError`` for one it could not give. The original
exception is always kept as ``__cause__``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ErisError(Exception):
    """Anything the SDK raises; ``code`` is stable, ``path`` names the field at fault when there is one."""

    code: str = "ERIS_ERR"

    def __init__(self, message: str, *, path: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        if code is not None:
            self.code = code


class ErisConfigError(ErisError):
    """The client could not be configured: a bad base URL, an unreadable token or contexts file."""

    code = "ERIS_ERR_CONFIG"


class ErisConnectionError(ErisError):
    """The coordinator could not be reached (refused, reset, DNS, TLS); the message names the URL."""

    code = "ERIS_ERR_UNAVAILABLE"


class ErisTimeoutError(ErisError):
    """The coordinator did not answer in time (or a wait ran out)."""

    code = "ERIS_ERR_TIMEOUT"


class ErisApiError(ErisError):
    """The coordinator answered with an error body ``{error: {code, message, path?, details?}}``.

    ``status`` is the HTTP status, ``request`` is ``"METHOD /path"``. The class is picked by ``code`` (see
    ``API_ERRORS``), so ``except NotFoundError`` works; an unknown code is a plain ``ErisApiError``.
    """

    codes: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        request: str,
        path: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, path=path, code=code)
        self.status = status
        self.request = request
        self.details = details or {}

    def __str__(self) -> str:
        where = f" (at {self.path})" if self.path else ""
        return f"{self.request}: {self.status} {self.code}: {self.message}{where}"


class ValidationError(ErisApiError):
    """400: the request is malformed; ``path`` names the field (``target.processes.cmdline``)."""

    codes = ("ERIS_ERR_VALIDATION",)


class UnauthorizedError(ErisApiError):
    """401: missing or wrong token."""

    codes = ("ERIS_ERR_UNAUTHORIZED",)


class ForbiddenError(ErisApiError):
    """403: the token's role or scope does not allow it, or safety refuses the target."""

    codes = (
        "ERIS_ERR_FORBIDDEN_ROLE",
        "ERIS_ERR_FORBIDDEN_SCOPE",
        "ERIS_ERR_FORBIDDEN_TARGET",
        "ERIS_ERR_FORBIDDEN_BINDING",
    )


class NotFoundError(ErisApiError):
    """404: no such run, drill or fault."""

    codes = ("ERIS_ERR_NOT_FOUND",)


class ConflictError(ErisApiError):
    """409: e.g. aborting a run that is not running, a report of a run still running."""

    codes = ("ERIS_ERR_CONFLICT",)


class NoTargetsError(ErisApiError):
    """422: the target group matched nothing."""

    codes = ("ERIS_ERR_NO_TARGETS",)


class ProbePolicyError(ErisApiError):
    """422: a probe aims where the coordinator's probe policy refuses, or a jq filter is too costly."""

    codes = ("ERIS_ERR_PROBE_POLICY", "ERIS_ERR_JQ_TOO_COSTLY")


class PayloadTooLargeError(ErisApiError):
    """413: the body is over the coordinator's limit."""

    codes = ("ERIS_ERR_PAYLOAD_TOO_LARGE",)


class RateLimitedError(ErisApiError):
    """429: this token sent too many requests; resumes and aborts are never limited."""

    codes = ("ERIS_ERR_RATE_LIMITED",)


class AgentError(ErisApiError):
    """The agent could not do it: a signal or runtime failure, a process whose identity changed."""

    codes = (
        "ERIS_ERR_SIGNAL",
        "ERIS_ERR_RUNTIME",
        "ERIS_ERR_IDENTITY_MISMATCH",
        "ERIS_ERR_UNAVAILABLE",
        "ERIS_ERR_TIMEOUT",
    )


API_ERRORS: dict[str, type[ErisApiError]] = {
    code: cls
    for cls in (
        ValidationError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        ConflictError,
        NoTargetsError,
        ProbePolicyError,
        PayloadTooLargeError,
        RateLimitedError,
        AgentError,
    )
    for code in cls.codes
}


def api_error(
    status: int, code: str, message: str, request: str, path: str | None = None, details: dict[str, Any] | None = None
) -> ErisApiError:
    """The ``ErisApiError`` subclass for ``code`` (a plain ``ErisApiError`` for codes this SDK does not know)."""
    cls = API_ERRORS.get(code, ErisApiError)
    return cls(message, status=status, code=code, request=request, path=path, details=details)
