"""``earmark review``: the review page and its API over an index, on the serve app.

Routes (under ``/review``; the API key, when set, is needed for all but the page itself):

- ``GET /review``: the page;
- ``GET /review/api/state``: the queue, the current label, counts per label;
- ``POST /review/api/search``: a multipart ``file`` (an example clip), or JSON ``{"id"}`` (more like a
  window in the index) or ``{"text"}`` (CLAP indexes), with ``top_k``: the queue becomes the hits;
- ``POST /review/api/suggest``: ``{"label", "strategy", "n"}``: refit the head, refill the queue
  (``strategy: "top"`` is the head's detections);
- ``POST /review/api/decisions``: ``{"id", "label", "positive"}``, saved at once;
- ``POST /review/api/undo``: ``{"id", "label"}``;
- ``GET /review/api/windows/{id}/audio.wav`` and ``.../spectrogram.png``: only windows in the index,
  only files inside the corpus (anything else is a 404).
"""

from __future__ import annotations

import asyncio
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..errors import OptionError

__all__ = ["ReviewState", "router"]

router = APIRouter(prefix="/review")


class ReviewState:
    """The index under review and its current queue (kept by the server: a reload finds it again)."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.queue: list[dict[str, Any]] = []
        self.label: str | None = None
        self.source = "none"
        self.lock = asyncio.Lock()

    def state(self) -> dict[str, Any]:
        from ..index.labels import Labels

        labels = Labels(self.index)
        current = labels.current()
        queue = [
            item | {"decision": {lab: d.positive for (wid, lab), d in current.items() if wid == item["id"]}}
            for item in self.queue
        ]
        return {
            "queue": queue,
            "label": self.label,
            "source": self.source,
            "counts": labels.counts(),
            "windows": len(self.index),
            "encoder": self.index.settings.encoder,
        }


def _state(request: Request) -> ReviewState:
    return request.app.state.review


def _hits(hits: list[Any]) -> list[dict[str, Any]]:
    return [h.to_dict() for h in hits]


@router.get("", response_class=HTMLResponse)
def page() -> str:
    return resources.files("earmark.server").joinpath("static/review.html").read_text(encoding="utf-8")


@router.get("/api/state")
def state(request: Request) -> dict[str, Any]:
    return _state(request).state()


@router.post("/api/search")
async def search(request: Request) -> dict[str, Any]:
    review = _state(request)
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise OptionError("search needs a 'file' field with an example clip")
        data, top_k = await upload.read(), int(form.get("top_k") or 20)
        suffix = Path(upload.filename or "example.wav").suffix[:8] or ".wav"

        def run() -> list[Any]:
            with tempfile.NamedTemporaryFile(suffix=suffix) as f:
                f.write(data)
                f.flush()
                return review.index.search([f.name], top_k=top_k)

        hits, source = await asyncio.to_thread(run), f"example {upload.filename}"
    else:
        body = await request.json()
        top_k = int(body.get("top_k") or 20)
        if body.get("id"):
            hits = await asyncio.to_thread(review.index.search, [f"id:{body['id']}"], top_k=top_k)
            source = f"more like {body['id']}"
        elif body.get("text"):
            hits = await asyncio.to_thread(review.index.search, text=str(body["text"]), top_k=top_k)
            source = f"text {body['text']!r}"
        else:
            raise OptionError("search needs a file, a window 'id' or a 'text'")
    async with review.lock:
        review.queue, review.source = _hits(hits), source
        if body_label := (request.query_params.get("label") or None):
            review.label = body_label
    return review.state()


@router.post("/api/suggest")
async def suggest(request: Request) -> dict[str, Any]:
    from ..index.suggest import suggest as next_windows

    review = _state(request)
    body = await request.json()
    label = body.get("label") or review.label
    strategy = body.get("strategy") or "margin"
    picks = await asyncio.to_thread(
        next_windows, review.index, label=label, n=int(body.get("n") or 10), strategy=strategy
    )
    async with review.lock:
        review.queue = [p.to_dict() for p in picks]
        review.source, review.label = f"suggest {strategy}", label
    return review.state()


@router.post("/api/decisions")
async def decide(request: Request) -> dict[str, Any]:
    from ..index.labels import Labels

    review = _state(request)
    body = await request.json()
    positive = body.get("positive")
    if positive not in (True, False):
        raise OptionError(f"positive={positive!r} is not allowed; use true or false")
    await asyncio.to_thread(
        Labels(review.index).add, [(str(body.get("id")), body.get("label"), positive)], source="review"
    )
    review.label = str(body.get("label"))
    return review.state()


@router.post("/api/undo")
async def undo(request: Request) -> dict[str, Any]:
    from ..index.labels import Labels

    review = _state(request)
    body = await request.json()
    await asyncio.to_thread(Labels(review.index).undo, str(body.get("id")), str(body.get("label")))
    return review.state()


@router.get("/api/windows/{wid}/audio.wav")
async def audio(wid: str, request: Request) -> Response:
    from ..index.listening import window_wav

    return Response(await asyncio.to_thread(window_wav, _state(request).index, wid), media_type="audio/wav")


@router.get("/api/windows/{wid}/spectrogram.png")
async def spectrogram(wid: str, request: Request) -> Response:
    from ..index.listening import spectrogram_png

    return Response(await asyncio.to_thread(spectrogram_png, _state(request).index, wid), media_type="image/png")
