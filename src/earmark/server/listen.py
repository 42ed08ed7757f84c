"""``WS /v1/listen?model=NAME&sample_rate=16000``: live streaming over WebSocket.

The client sends binary frames of little-endian 16-bit mono PCM (any size) and may send the text
message ``{"type": "flush"}``; the server answers one JSON text message per event
(``{"label", "score", "start_s", "end_s"}``, as ``earmark listen --jsonl``) and ``{"type": "flushed"}``
after a flush. Each connection has its own Listener (its own scorers and VAD state).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np

from ..errors import EarmarkError
from ..streaming import Listener, StreamOptions
from .errors import error_body
from .responses import authorised

__all__ = ["serve_stream"]

MAX_RATE = 192000


async def serve_stream(websocket: Any, models: dict[str, Any], settings: Any) -> None:
    from fastapi import WebSocketDisconnect

    params = websocket.query_params
    name = params.get("model") or next(iter(models))
    if settings.api_key:
        if not authorised(websocket.headers, settings.api_key) and params.get("api_key") != settings.api_key:
            await websocket.close(code=4401, reason="a valid API key is needed")
            return
    await websocket.accept()
    try:
        if name not in models:
            raise KeyError(f"no model {name!r}; models: {', '.join(models)}")
        rate = int(params.get("sample_rate", "16000"))
        if not 1000 <= rate <= MAX_RATE:
            raise ValueError(f"sample_rate={rate} is not allowed; use 1000-{MAX_RATE} Hz")
        vad = float(params.get("vad_threshold", "0.5"))
        threshold = float(params["threshold"]) if params.get("threshold") else None
        classifier = models[name].classifier
        scorers = await asyncio.to_thread(classifier.frame_scorers, hop_s=0.1)
        listener = Listener(scorers, StreamOptions(threshold=threshold, vad_threshold=vad or None))
    except (KeyError, ValueError, EarmarkError) as e:
        await websocket.send_text(json.dumps(error_body(e)))
        await websocket.close(code=1008)
        return
    pending = b""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                data = pending + message["bytes"]
                usable = len(data) // 2 * 2
                pending = data[usable:]
                samples = np.frombuffer(data[:usable], "<i2")
                if len(samples):
                    events = await asyncio.to_thread(listener.push, samples, rate)
                    for event in events:
                        await websocket.send_text(json.dumps(event.to_dict()))
            elif message.get("text") is not None:
                try:
                    kind = json.loads(message["text"]).get("type")
                except (ValueError, AttributeError):
                    kind = None
                if kind != "flush":
                    await websocket.send_text(
                        json.dumps({"error": 'send binary PCM or {"type": "flush"}', "type": "BadMessage"})
                    )
                    continue
                for event in await asyncio.to_thread(listener.flush):
                    await websocket.send_text(json.dumps(event.to_dict()))
                listener.reset()
                await websocket.send_text(json.dumps({"type": "flushed"}))
    except WebSocketDisconnect:
        return
