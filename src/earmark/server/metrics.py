"""Prometheus metrics of one server (their own registry, so several apps in one process do not clash)."""

from __future__ import annotations

from ..errors import missing_extra

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
        except ImportError as e:
            raise missing_extra("prometheus-client", "serve", "earmark serve") from e
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "earmark_requests", "Classification requests", ["model", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "earmark_request_seconds",
            "Request latency",
            ["model", "status"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.queue_size = Gauge("earmark_queue_size", "Requests waiting for a model", ["model"], registry=self.registry)
        self.batch_size = Histogram(
            "earmark_batch_size",
            "Requests per model call",
            ["model"],
            buckets=(1, 2, 4, 8, 16, 32),
            registry=self.registry,
        )
        self.audio_seconds = Counter(
            "earmark_audio_seconds", "Seconds of audio classified", ["model"], registry=self.registry
        )
        self.streams = Gauge("earmark_streams", "Open WebSocket streams", ["model"], registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
