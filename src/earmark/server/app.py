"""The FastAPI application, wired from its parts: the models and their batch queues, the error table
(:mod:`.errors`), the middleware (:mod:`.middleware`) and the routes (:mod:`.routes`).

Every error a client can cause is JSON ``{"error", "type"}`` with a 4xx status, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from ..classifier import Classifier
from ..errors import OptionError, missing_extra
from ..options import LoadOptions

try:  # the serve extra
    from fastapi import FastAPI
except ImportError as e:
    raise missing_extra("fastapi", "serve", "earmark serve") from e

from . import errors
from .batching import Batcher
from .errors import error_body
from .metrics import Metrics
from .middleware import AccessMiddleware, BodyLimitMiddleware
from .routes import router

__all__ = ["ServeSettings", "ServedModel", "create_app", "error_body"]


@dataclass(frozen=True)
class ServeSettings:
    max_body_bytes: int = 25 * 1024 * 1024
    max_batch_size: int = 8
    max_wait_ms: float = 10.0
    max_queue: int = 64
    timeout_s: float = 30.0
    api_key: str | None = None
    load: LoadOptions = field(default_factory=LoadOptions)
    """How ``earmark serve`` loaded its models (engine, precision, threads, device)."""


@dataclass
class ServedModel:
    name: str
    ref: str
    classifier: Classifier
    batcher: Batcher | None = field(default=None, repr=False)

    def describe(self) -> dict[str, Any]:
        c = self.classifier
        return {
            "name": self.name,
            "ref": self.ref,
            "engine": c.engine,
            "compute_type": c.compute_type,
            "device": c.device,
            "labels": list(c.labels) if c.labels_bound else None,
            "zero_shot": c.zero_shot,
            "sample_rate": c.sample_rate,
            "window_s": c.window_s,
            "task": "zero-shot-audio-classification" if c.zero_shot else "audio-classification",
            "thresholds": c.thresholds_note(),
            "calibration": c.calibration.to_dict() if c.calibration is not None else None,
        }


def create_app(models: list[ServedModel], settings: ServeSettings | None = None, *, review: Any = None) -> Any:
    """The app for models loaded once by the caller (``earmark serve`` loads them from its --model
    list); with ``review`` (an :class:`~earmark.index.Index`), also the review page at ``/review``."""
    settings = settings or ServeSettings()
    if not models and review is None:
        raise OptionError("earmark serve needs at least one --model NAME=REF")
    metrics = Metrics()
    for served in models:
        served.batcher = Batcher(
            served.classifier,
            max_batch_size=settings.max_batch_size,
            max_wait_ms=settings.max_wait_ms,
            max_queue=settings.max_queue,
            observe=lambda size, name=served.name: metrics.batch_size.labels(name).observe(size),
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        from ..io.blocks import has_ffmpeg

        await asyncio.to_thread(has_ffmpeg)  # before the first request: its import takes seconds
        yield
        for served in models:  # uvicorn has stopped taking requests: finish each queue, then stop
            await asyncio.to_thread(served.batcher.close)

    app = FastAPI(title="earmark", version="0.2", lifespan=lifespan)
    app.state.models = {m.name: m for m in models}
    app.state.settings, app.state.metrics, app.state.ready = settings, metrics, True
    errors.install(app)
    app.include_router(router)
    if review is not None:
        from .review import ReviewState
        from .review import router as review_router

        app.state.review = ReviewState(review)
        app.include_router(review_router)
    # the last added runs first: the body limit sees every request, then the key and the metrics
    app.add_middleware(AccessMiddleware, api_key=settings.api_key, metrics=metrics)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    return app
