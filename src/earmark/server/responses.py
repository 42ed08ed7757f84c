"""The API-key check, shared by HTTP and WebSocket."""

from __future__ import annotations

import hmac
from typing import Any

__all__ = ["authorised"]


def authorised(headers: Any, key: str) -> bool:
    given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(given) and hmac.compare_digest(given, key)
