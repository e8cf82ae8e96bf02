"""eris-chaos: drive eris (freeze, kill and resume cluster members) from Python and pytest.

from eris_chaos import Client
with Client("http://127.0.0.1:7700", token="…") as eris:
    with eris.freeze({"processes": {"cmdline": "^etcd"}}, lease="30s") as fault:
        ...  # the member is stopped here; it is resumed on exit, on an exception and on Ctrl-C
"""

from .aio import AsyncClient
from .client import Client
from .config import Connection, resolve_connection
from .errors import (
    AgentError,
    ConflictError,
    ErisApiError,
    ErisConfigError,
    ErisConnectionError,
    ErisError,
    ErisTimeoutError,
    ForbiddenError,
    NoTargetsError,
    NotFoundError,
    PayloadTooLargeError,
    ProbePolicyError,
    RateLimitedError,
    UnauthorizedError,
    ValidationError,
)
from .models import (
    Agent,
    DryRunResult,
    Fault,
    ResumedFault,
    Run,
    RunEvent,
    RunReport,
    SelectionPreview,
    Target,
    TimelineEntry,
)

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "AgentError",
    "AsyncClient",
    "Client",
    "ConflictError",
    "Connection",
    "DryRunResult",
    "ErisApiError",
    "ErisConfigError",
    "ErisConnectionError",
    "ErisError",
    "ErisTimeoutError",
    "Fault",
    "ForbiddenError",
    "NoTargetsError",
    "NotFoundError",
    "PayloadTooLargeError",
    "ProbePolicyError",
    "RateLimitedError",
    "ResumedFault",
    "Run",
    "RunEvent",
    "RunReport",
    "SelectionPreview",
    "Target",
    "TimelineEntry",
    "UnauthorizedError",
    "ValidationError",
    "__version__",
    "resolve_connection",
]
