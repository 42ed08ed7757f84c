"""``earmark serve``: an HTTP service (the Hugging Face Inference API shape), dynamic batching,
live streaming over WebSocket, Prometheus metrics, and a browser page. Needs ``earmark[serve]``."""
