"""The FastAPI application: the Hugging Face Inference API shape, an OpenAI-style multipart route,
operations endpoints, the WebSocket stream and the browser page.

Every error a client can cause is JSON ``{"error", "type"}`` with a 4xx status, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..classifier import Classifier
from ..errors import AudioError, EarmarkError, LabelError, ModelError, OptionError, missing_extra

try:  # the serve extra; FastAPI reads the route signatures' annotations, so these live at module level
    from fastapi import FastAPI, Request, WebSocket
    from fastapi.responses import HTMLResponse, JSONResponse, Response
except ImportError as e:
    raise missing_extra("fastapi", "serve", "earmark serve") from e

from .batching import Batcher, QueueFull
from .metrics import Metrics
from .params import ParameterError, classify_options, read_json_inputs
from .responses import authorised, error_body

__all__ = ["ServeSettings", "ServedModel", "create_app", "error_body"]

logger = logging.getLogger("earmark.server")
STATUS = {AudioError: 400, OptionError: 422, LabelError: 422, ModelError: 400}
AUDIO_TYPES = ("audio/", "application/octet-stream")


@dataclass(frozen=True)
class ServeSettings:
    max_body_bytes: int = 25 * 1024 * 1024
    max_batch_size: int = 8
    max_wait_ms: float = 10.0
    max_queue: int = 64
    timeout_s: float = 30.0
    api_key: str | None = None


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
            "labels": list(c.labels) if c.labels_bound else None,
            "zero_shot": c.zero_shot,
            "sample_rate": c.sample_rate,
            "window_s": c.window_s,
            "task": "zero-shot-audio-classification" if c.zero_shot else "audio-classification",
        }


def create_app(models: list[ServedModel], settings: ServeSettings | None = None) -> Any:
    """The app for models loaded once by the caller (``earmark serve`` loads them from its --model list)."""
    settings = settings or ServeSettings()
    if not models:
        raise OptionError("earmark serve needs at least one --model NAME=REF")
    by_name = {m.name: m for m in models}
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
        yield
        for served in models:  # uvicorn has stopped taking requests: finish each queue, then stop
            await asyncio.to_thread(served.batcher.close)

    app = FastAPI(title="earmark", version="0.2", lifespan=lifespan)
    app.state.models, app.state.ready = by_name, True

    def fail(status: int, error: Exception, kind: str | None = None, headers: dict | None = None) -> Any:
        return JSONResponse(error_body(error, kind), status_code=status, headers=headers)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        path = request.url.path
        open_paths = path in ("/health", "/ready", "/metrics") or (path == "/" and request.method == "GET")
        if settings.api_key and not open_paths and not authorised(request.headers, settings.api_key):
            response = fail(
                401, PermissionError("a valid API key is needed: Authorization: Bearer KEY"), "Unauthorized"
            )
        else:
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > settings.max_body_bytes:
                too_big = ValueError(f"the body is {length} bytes; at most {settings.max_body_bytes} are allowed")
                response = fail(413, too_big, "PayloadTooLarge")
            else:
                response = await call_next(request)
        seconds = time.perf_counter() - started
        model = request.path_params.get("name") or request.scope.get("earmark_model") or "-"
        if path.startswith(("/models", "/v1/audio")) or path == "/" and request.method == "POST":
            metrics.requests.labels(model, str(response.status_code)).inc()
            metrics.latency.labels(model, str(response.status_code)).observe(seconds)
        logger.info(
            json.dumps(
                {"method": request.method, "path": path, "status": response.status_code, "ms": round(seconds * 1e3, 1)}
            )
        )
        return response

    async def read_body(request: Request) -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                raise _TooLarge(f"the body is over {settings.max_body_bytes} bytes; no more are allowed")
        return bytes(body)

    async def run(served: ServedModel, data: bytes, params: dict[str, Any], request: Request) -> Any:
        request.scope["earmark_model"] = served.name
        from ..io.decode import decode_bytes

        options, labels, template, timeline = classify_options(served.classifier, params)
        audio = await asyncio.to_thread(decode_bytes, data, "<request body>")
        future = served.batcher.submit(audio, options, labels, template)
        metrics.queue_size.labels(served.name).set(served.batcher.queue.qsize())
        prediction = await asyncio.wait_for(asyncio.wrap_future(future), settings.timeout_s)
        metrics.audio_seconds.labels(served.name).inc(audio.duration_s)
        return prediction.to_dict() if timeline else prediction.to_list()

    async def answer(served_name: str | None, request: Request, data: bytes | None, params: dict) -> Any:
        if served_name not in by_name:
            return fail(404, KeyError(f"no model {served_name!r}; models: {', '.join(by_name)}"), "ModelNotFound")
        try:
            return JSONResponse(await run(by_name[served_name], data, params, request))
        except QueueFull as e:
            return fail(429, e, "QueueFull", headers={"Retry-After": "1"})
        except TimeoutError:
            return fail(504, TimeoutError(f"no answer within {settings.timeout_s:g} s"), "Timeout")
        except ParameterError as e:
            return fail(422, e, "OptionError")
        except EarmarkError as e:
            return fail(STATUS.get(type(e), 400), e)
        except Exception as e:
            failure = getattr(e, "failure", None)
            if failure is not None:  # the input, decoded, could not be classified
                return fail(422 if failure.error_type == "OptionError" else 400, e, failure.error_type)
            raise

    async def inference(request: Request, name: str | None) -> Any:
        params: dict[str, Any] = dict(request.query_params)
        kind = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip().lower()
        try:
            body = await read_body(request)
        except _TooLarge as e:
            return fail(413, e, "PayloadTooLarge")
        if kind == "application/json":
            try:
                data, extra = read_json_inputs(body)
            except (ParameterError, AudioError) as e:
                return fail(422 if isinstance(e, ParameterError) else 400, e, type(e).__name__)
            params |= extra
        elif kind.startswith(AUDIO_TYPES):
            data = body
        else:
            unsupported = ValueError(f"content type {kind!r} is not accepted; send audio/* or application/octet-stream")
            return fail(415, unsupported, "UnsupportedMediaType")
        if not data:
            return fail(400, AudioError("the request has no audio (0 bytes)"))
        return await answer(name, request, data, params)

    @app.post("/models/{name:path}")
    async def classify_named(name: str, request: Request) -> Any:
        return await inference(request, name)

    @app.post("/")
    async def classify_first(request: Request) -> Any:
        return await inference(request, models[0].name)

    @app.post("/v1/audio/classification")
    async def classify_multipart(request: Request) -> Any:
        try:
            form = await request.form()
        except Exception as e:  # not multipart, or a broken one
            return fail(400, ValueError(f"send multipart/form-data with a 'file' field ({e})"), "BadRequest")
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            return fail(422, ValueError("the form needs a 'file' field with the audio"), "OptionError")
        name = str(form.get("model") or models[0].name)
        params = {k: v for k, v in form.items() if k in ("top_k", "threshold") and v != ""}
        result = await answer(name, request, await upload.read(), params)
        if result.status_code != 200:
            return result
        return JSONResponse({"model": name, "predictions": json.loads(result.body)})

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> Any:
        loaded = all(m.batcher is not None for m in models)
        return JSONResponse({"ready": loaded, "models": list(by_name)}, status_code=200 if loaded else 503)

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return {"models": [m.describe() for m in models]}

    @app.get("/metrics")
    def prometheus() -> Any:
        body, kind = metrics.render()
        return Response(body, media_type=kind)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return (resources.files("earmark.server") / "static" / "index.html").read_text(encoding="utf-8")

    @app.websocket("/v1/listen")
    async def listen(websocket: WebSocket) -> None:
        from .listen import serve_stream

        await serve_stream(websocket, by_name, settings)

    return app


class _TooLarge(Exception):
    pass
