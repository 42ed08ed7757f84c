"""Fetching audio from ``http(s)://`` URLs, within limits: a size cap, an overall deadline, and
optionally no private, loopback or link-local addresses (checked for every redirect too).

The defaults come from the environment (``EARMARK_URL_MAX_MB``, ``EARMARK_URL_DEADLINE_S``,
``EARMARK_URL_ALLOW_PRIVATE``); ``earmark serve`` refuses URLs altogether.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlparse

from ..errors import AudioError, OptionError

__all__ = ["UrlPolicy", "fetch_url", "is_url"]

SCHEMES = ("http", "https")
CHUNK_BYTES = 1 << 16
READ_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class UrlPolicy:
    """Limits on downloading an input."""

    max_bytes: int = 100 * 1024 * 1024
    """A body larger than this is refused (as soon as it is seen to be larger)."""
    deadline_s: float = 60.0
    """The whole download, connection and every byte included, must finish within this."""
    allow_private: bool = True
    """False: refuse hosts that resolve to private, loopback, link-local or reserved addresses."""

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.deadline_s <= 0:
            raise OptionError(f"URL limits must be positive; got {self}")

    @classmethod
    def from_env(cls) -> UrlPolicy:
        try:
            return cls(
                max_bytes=int(float(os.environ.get("EARMARK_URL_MAX_MB", "100")) * 1024 * 1024),
                deadline_s=float(os.environ.get("EARMARK_URL_DEADLINE_S", "60")),
                allow_private=os.environ.get("EARMARK_URL_ALLOW_PRIVATE", "1").lower() not in ("0", "false", "no"),
            )
        except ValueError as e:
            raise OptionError(f"EARMARK_URL_* settings must be numbers ({e})") from e


def is_url(text: str) -> bool:
    return urlparse(text).scheme.lower() in SCHEMES and "://" in text


def _check_host(url: str, policy: UrlPolicy) -> None:
    parsed = urlparse(url)
    if parsed.scheme.lower() not in SCHEMES or not parsed.hostname:
        raise AudioError(f"{url}: only http(s) URLs with a host are allowed")
    if policy.allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise AudioError(f"{url}: the host cannot be resolved ({e})") from e
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise AudioError(f"{url}: {parsed.hostname} is a private or local address ({address}); not allowed here")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, policy: UrlPolicy) -> None:
        self.policy = policy

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 (urllib's signature)
        _check_host(newurl, self.policy)  # a redirect must not lead where the first URL could not
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_url(url: str, policy: UrlPolicy | None = None) -> bytes:
    """The body of ``url``, or an :class:`AudioError` saying which limit it broke."""
    policy = policy or UrlPolicy.from_env()
    _check_host(url, policy)
    deadline = time.monotonic() + policy.deadline_s
    opener = urllib.request.build_opener(_CheckedRedirects(policy))
    body = bytearray()
    try:
        # every read waits at most READ_TIMEOUT_S, so a silent server cannot outlast the deadline by more
        with opener.open(url, timeout=min(READ_TIMEOUT_S, policy.deadline_s)) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                raise AudioError(f"{url}: the body is {int(declared)} bytes; at most {policy.max_bytes} are allowed")
            while chunk := response.read1(CHUNK_BYTES):
                body += chunk
                if len(body) > policy.max_bytes:
                    raise AudioError(f"{url}: the body is over {policy.max_bytes} bytes; no more are allowed")
                if time.monotonic() > deadline:
                    raise AudioError(f"{url}: the download took over {policy.deadline_s:g} s; stopped")
    except AudioError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as e:
        if time.monotonic() > deadline:
            raise AudioError(f"{url}: the download took over {policy.deadline_s:g} s; stopped") from e
        raise AudioError(f"{url}: could not download the audio ({e})") from e
    return bytes(body)
