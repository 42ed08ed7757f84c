"""The routes: the Hugging Face Inference API shape (``POST /models/NAME``, ``POST /``), an OpenAI-style
multipart route, the operations endpoints, the WebSocket stream and the browser page.

Routes raise earmark's errors; :mod:`earmark.server.errors` turns each into its status.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

from ..errors import AudioError

try:  # the serve extra; FastAPI reads the route signatures' annotations, so these live at module level
    from fastapi import APIRouter, HTTPException, Request, WebSocket
    from fastapi.responses import HTMLResponse, JSONResponse, Response
except ImportError as e:
    from ..errors import missing_extra

    raise missing_extra("fastapi", "serve", "earmark serve") from e

from .errors import BadRequest, ModelNotFound, Timeout, UnsupportedMediaType
from .params import ParameterError, classify_options, read_json_inputs

__all__ = ["router"]

router = APIRouter()
AUDIO_TYPES = ("audio/", "application/octet-stream")
FORM_PARAMETERS = ("top_k", "threshold")
THRESHOLDS_HEADER = "X-Earmark-Thresholds"


async def classify(request: Request, name: str, data: bytes, params: dict[str, Any]) -> Any:
    """One request through its model's batch queue: the prediction as the pipeline's list (or with the timeline)."""
    from ..io.decode import decode_bytes

    state = request.app.state
    if name not in state.models:
        raise ModelNotFound(f"no model {name!r}; models: {', '.join(state.models)}")
    served = state.models[name]
    request.scope["earmark_model"] = name
    if not data:
        raise AudioError("the request has no audio (0 bytes)")
    options, labels, template, timeline = classify_options(served.classifier, params)
    request.scope["earmark_thresholds"] = served.classifier.thresholds_note(options)
    audio = await asyncio.to_thread(decode_bytes, data, "<request body>")
    future = served.batcher.submit(audio, options, labels, template)
    state.metrics.queue_size.labels(name).set(served.batcher.queue.qsize())
    try:
        prediction = await asyncio.wait_for(asyncio.wrap_future(future), state.settings.timeout_s)
    except TimeoutError:
        raise Timeout(f"no answer within {state.settings.timeout_s:g} s") from None
    state.metrics.audio_seconds.labels(name).inc(audio.duration_s)
    return prediction.to_dict() if timeline else prediction.to_list()


async def inference(request: Request, name: str) -> Any:
    """A raw audio body, or ``{"inputs": base64, "parameters": {...}}``; parameters also in the query string."""
    params: dict[str, Any] = dict(request.query_params)
    kind = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip().lower()
    body = await request.body()  # the body-limit middleware stops it at the cap
    if kind == "application/json":
        data, extra = read_json_inputs(body)
        params |= extra
    elif kind.startswith(AUDIO_TYPES):
        data = body
    else:
        raise UnsupportedMediaType(f"content type {kind!r} is not accepted; send audio/* or application/octet-stream")
    return _with_thresholds(request, JSONResponse(await classify(request, name, data, params)))


def _with_thresholds(request: Request, response: Any) -> Any:
    """The response, with a header saying which thresholds applied (calibrated, given, or none)."""
    note = request.scope.get("earmark_thresholds")
    if note:
        response.headers[THRESHOLDS_HEADER] = note.encode("ascii", "replace").decode()
    return response


@router.post("/models/{name:path}")
async def classify_named(name: str, request: Request) -> Any:
    return await inference(request, name)


@router.post("/")
async def classify_first(request: Request) -> Any:
    return await inference(request, next(iter(request.app.state.models)))


@router.post("/v1/audio/classification")
async def classify_multipart(request: Request) -> Any:
    try:
        form = await request.form()
    except (HTTPException, AssertionError, ValueError) as e:  # not multipart, or a broken one
        raise BadRequest(f"send multipart/form-data with a 'file' field ({getattr(e, 'detail', e)})") from e
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise ParameterError("the form needs a 'file' field with the audio")
    name = str(form.get("model") or next(iter(request.app.state.models)))
    params = {k: v for k, v in form.items() if k in FORM_PARAMETERS and v != ""}
    predictions = await classify(request, name, await upload.read(), params)
    return _with_thresholds(request, JSONResponse({"model": name, "predictions": predictions}))


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
def ready(request: Request) -> Any:
    models = request.app.state.models
    loaded = all(m.batcher is not None for m in models.values())
    return JSONResponse({"ready": loaded, "models": list(models)}, status_code=200 if loaded else 503)


@router.get("/v1/models")
def list_models(request: Request) -> dict[str, Any]:
    return {"models": [m.describe() for m in request.app.state.models.values()]}


@router.get("/metrics")
def prometheus(request: Request) -> Any:
    body, kind = request.app.state.metrics.render()
    return Response(body, media_type=kind)


@router.get("/", response_class=HTMLResponse)
def page() -> str:
    return (resources.files("earmark.server") / "static" / "index.html").read_text(encoding="utf-8")


@router.websocket("/v1/listen")
async def listen(websocket: WebSocket) -> None:
    from .listen import serve_stream

    await serve_stream(websocket, websocket.app.state.models, websocket.app.state.settings)
