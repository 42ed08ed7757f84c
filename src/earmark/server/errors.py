"""One table from error class to HTTP status, looked up along the class hierarchy (as Starlette's
exception handlers are): a new subclass of :class:`~earmark.AudioError` is a 400 without a new entry.

Every error a client can cause is JSON ``{"error": one line, "type": the error's class name}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import AudioError, EarmarkError, LabelError, MissingExtraError, ModelError, OptionError
from ..index.listening import NotInIndex
from .batching import QueueFull
from .params import ParameterError

__all__ = [
    "STATUS",
    "BadRequest",
    "ModelNotFound",
    "PayloadTooLarge",
    "Status",
    "Timeout",
    "Unauthorized",
    "UnsupportedMediaType",
    "error_body",
    "error_response",
    "install",
    "status_of",
]


class ModelNotFound(EarmarkError, LookupError):
    """No served model has that name."""


class PayloadTooLarge(EarmarkError, ValueError):
    """The body is over ``--max-body-mb``."""


class UnsupportedMediaType(EarmarkError, ValueError):
    """A content type the route does not read."""


class BadRequest(EarmarkError, ValueError):
    """A request that is not what the route reads (a broken multipart form)."""


class Unauthorized(EarmarkError, PermissionError):
    """No valid API key."""


class Timeout(EarmarkError, TimeoutError):
    """No answer within ``--timeout-s``."""


@dataclass(frozen=True)
class Status:
    code: int
    headers: tuple[tuple[str, str], ...] = ()


STATUS: dict[type[BaseException], Status] = {
    EarmarkError: Status(400),
    AudioError: Status(400),
    ModelError: Status(400),
    BadRequest: Status(400),
    Unauthorized: Status(401),
    ModelNotFound: Status(404),
    NotInIndex: Status(404),
    PayloadTooLarge: Status(413),
    UnsupportedMediaType: Status(415),
    OptionError: Status(422),
    ParameterError: Status(422),
    LabelError: Status(422),
    QueueFull: Status(429, (("Retry-After", "1"),)),
    MissingExtraError: Status(501),
    Timeout: Status(504),
    TimeoutError: Status(504),
}


def status_of(error: BaseException) -> Status | None:
    """The status of the nearest class of ``error`` in :data:`STATUS` (None: not a client's error)."""
    return next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), None)


def error_body(error: BaseException) -> dict[str, str]:
    return {"error": " ".join(str(error).split()), "type": type(error).__name__}


def error_response(error: BaseException) -> Any:
    from fastapi.responses import JSONResponse

    status = status_of(error) or Status(500)
    return JSONResponse(error_body(error), status_code=status.code, headers=dict(status.headers))


def install(app: Any) -> None:
    """Register the table with the app: one handler, looked up by Starlette along each error's classes."""

    async def handle(request: Any, error: Exception) -> Any:
        return error_response(error)

    for cls in STATUS:
        app.add_exception_handler(cls, handle)
