"""The server's ASGI middleware, as small classes.

- :class:`AccessMiddleware`: the API key, the request metrics and a JSON access log line.
- :class:`BodyLimitMiddleware`: bodies over the cap are refused with a 413, and any answer sent
  before the client has finished sending its body is followed by a *lingering close* (nginx's idea):
  the rest of the body is read and discarded, up to a few times the cap or a few seconds, before the
  response ends. Without it a client that writes the whole body before reading (Python's ``urllib``)
  gets a broken pipe instead of the 413.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from starlette.datastructures import Headers

from .errors import PayloadTooLarge, Unauthorized, error_response
from .responses import authorised

__all__ = ["AccessMiddleware", "BodyLimitMiddleware"]

logger = logging.getLogger("earmark.server")
OPEN_PATHS = ("/health", "/ready", "/metrics")
DRAIN_FACTOR = 4
"""Read and discard at most this many times the cap after an early answer..."""
DRAIN_S = 5.0
"""...and for at most this long."""


class AccessMiddleware:
    """API key (except for the health, readiness, metrics and page routes), metrics, access log."""

    def __init__(self, app: Any, *, api_key: str | None, metrics: Any) -> None:
        self.app, self.api_key, self.metrics = app, api_key, metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        path, method = scope["path"], scope["method"]
        status = [500]

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        open_path = path in OPEN_PATHS or (path in ("/", "/review") and method == "GET")
        if self.api_key and not open_path and not authorised(Headers(scope=scope), self.api_key):
            refusal = Unauthorized("a valid API key is needed: Authorization: Bearer KEY")
            await error_response(refusal)(scope, receive, send_status)
        else:
            await self.app(scope, receive, send_status)
        self._record(scope, status[0], time.perf_counter() - started)

    def _record(self, scope: dict[str, Any], status: int, seconds: float) -> None:
        path, method = scope["path"], scope["method"]
        model = (scope.get("path_params") or {}).get("name") or scope.get("earmark_model") or "-"
        if path.startswith(("/models", "/v1/audio")) or (path == "/" and method == "POST"):
            self.metrics.requests.labels(model, str(status)).inc()
            self.metrics.latency.labels(model, str(status)).observe(seconds)
        line = {"method": method, "path": path, "status": status, "ms": round(seconds * 1e3, 1)}
        logger.info(json.dumps(line))


class BodyLimitMiddleware:
    """413 for bodies over ``max_body_bytes`` (by Content-Length at once, or as a streamed body passes the
    cap), and a lingering close after any answer that comes before the whole body."""

    def __init__(self, app: Any, *, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        body = _BodyState(complete=not chunked and (length is None or length == "0"))

        async def counted() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                body.received += len(message.get("body", b""))
                body.complete = not message.get("more_body", False)
                if body.received > self.max_body_bytes:
                    raise PayloadTooLarge(f"the body is over {self.max_body_bytes} bytes; no more are allowed")
            elif message["type"] == "http.disconnect":
                body.complete = True
            return message

        async def lingering(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body") and not body.complete:
                await send({**message, "more_body": True})
                await self._drain(receive, body)
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            too_big = PayloadTooLarge(f"the body is {length} bytes; at most {self.max_body_bytes} are allowed")
            return await error_response(too_big)(scope, receive, lingering)
        await self.app(scope, counted, lingering)

    async def _drain(self, receive: Any, body: _BodyState) -> None:
        """Read and drop the rest of the body, within the bounds, so closing does not reset the connection."""
        limit = body.received + DRAIN_FACTOR * self.max_body_bytes
        deadline = time.monotonic() + DRAIN_S
        while not body.complete and body.received <= limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except asyncio.TimeoutError:
                return
            if message["type"] == "http.disconnect":
                return
            body.received += len(message.get("body", b""))
            body.complete = not message.get("more_body", False)


class _BodyState:
    def __init__(self, *, complete: bool) -> None:
        self.received = 0
        self.complete = complete
