"""What every route answers with on failure, and the API-key check (shared by HTTP and WebSocket)."""

from __future__ import annotations

import hmac
from typing import Any

__all__ = ["authorised", "error_body"]


def error_body(error: Exception, kind: str | None = None) -> dict[str, str]:
    return {"error": " ".join(str(error).split()), "type": kind or type(error).__name__}


def authorised(headers: Any, key: str) -> bool:
    given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(given) and hmac.compare_digest(given, key)
