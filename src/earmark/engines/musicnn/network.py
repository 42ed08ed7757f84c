"""The musicnn network (Pons & Serra, 2019) in torch, with the weights of its TensorFlow checkpoints.

A re-implementation of ``musicnn/models.py`` (``build_musicnn``, inference mode), with
``tf.compat.v1.layers`` named as TensorFlow numbered them (``conv2d_N``, ``batch_normalization_N``,
``dense_N``, in the order the layers are built):

- front end: batch norm of the log-mel patch ``(T, 96)``; timbral convolutions 7x38 and 7x67
  (204 filters, time padded by 3) and temporal ones 128x1, 64x1, 32x1 (51 filters, TensorFlow's
  ``same`` padding), each ReLU -> batch norm -> max over frequency: 561 features per frame;
- mid end: three 7-frame convolutions (64 filters) over those, the second and third residual;
- back end: max and mean over time of the 753 concatenated features (interleaved as TensorFlow's
  ``concat`` + ``flatten`` leave them), batch norm, dense 200 + ReLU, batch norm (the
  ``penultimate`` features), dense 50 (the tag logits).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MusicnnNetwork"]

BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default


class MusicnnNetwork:
    """``logits(patches)`` for log-mel patches ``(B, T, 96)``; ``penultimate`` and pools on request."""

    def __init__(self, tensors: dict[str, np.ndarray]) -> None:
        import torch

        self.torch = torch
        self.t = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items() if "Adam" not in k}

    def _bn(self, x, n: int, axis: int = 1):
        name = "batch_normalization" + (f"_{n}" if n else "")
        shape = [1] * x.dim()
        shape[axis] = -1
        gamma, beta = self.t[f"{name}/gamma"], self.t[f"{name}/beta"]
        mean, var = self.t[f"{name}/moving_mean"], self.t[f"{name}/moving_variance"]
        scale = gamma / self.torch.sqrt(var + BN_EPSILON)
        return x * scale.view(shape) + (beta - mean * scale).view(shape)

    def _conv2d(self, x, n: int):
        """A ``conv2d_N`` on NCHW ``x``; TensorFlow kernels are ``(kh, kw, in, out)``."""
        name = "conv2d" + (f"_{n}" if n else "")
        weight = self.t[f"{name}/kernel"].permute(3, 2, 0, 1)
        return self.torch.nn.functional.conv2d(x, weight, self.t[f"{name}/bias"])

    def _conv1d(self, x, n: int):
        """A ``conv2d_N`` whose kernel spans all features ``(7, F, 1, out)``: a 1-D convolution over time."""
        weight = self.t[f"conv2d_{n}/kernel"][:, :, 0, :].permute(2, 1, 0)
        x = self.torch.nn.functional.pad(x, (3, 3))
        return self.torch.nn.functional.conv1d(x, weight, self.t[f"conv2d_{n}/bias"])

    def _dense(self, x, n: int):
        name = "dense" + (f"_{n}" if n else "")
        return x @ self.t[f"{name}/kernel"] + self.t[f"{name}/bias"]

    def run(self, patches: np.ndarray) -> dict[str, np.ndarray]:
        """``logits`` (B, 50), ``penultimate`` (B, 200), ``mean_pool`` and ``max_pool`` (B, 753)."""
        torch = self.torch
        relu, pad = torch.relu, torch.nn.functional.pad
        with torch.inference_mode():
            x = self._bn(torch.from_numpy(np.asarray(patches, np.float32)).unsqueeze(1), 0)  # (B, 1, T, 96)
            timbral = pad(x, (0, 0, 3, 3))
            front = []
            for conv, bn, source in ((0, 1, timbral), (1, 2, timbral), (2, 3, x), (3, 4, x), (4, 5, x)):
                kernel = self.t["conv2d" + (f"_{conv}" if conv else "") + "/kernel"].shape[0]
                if source is x:  # TensorFlow's "same": the extra row of an even kernel goes after
                    source = pad(x, (0, 0, (kernel - 1) // 2, kernel // 2))
                y = self._bn(relu(self._conv2d(source, conv)), bn)
                front.append(y.amax(dim=3))  # (B, C, T): max over frequency
            front = torch.cat(front, dim=1)  # (B, 561, T)
            c1 = self._bn(relu(self._conv1d(front, 5)), 6)
            c2 = self._bn(relu(self._conv1d(c1, 6)), 7) + c1
            c3 = self._bn(relu(self._conv1d(c2, 7)), 8) + c2
            features = torch.cat([front, c1, c2, c3], dim=1)  # (B, 753, T)
            max_pool, mean_pool = features.amax(dim=2), features.mean(dim=2)
            flat = torch.stack([max_pool, mean_pool], dim=2).reshape(len(features), -1)
            penultimate = self._bn(relu(self._dense(self._bn(flat, 9), 0)), 10)
            logits = self._dense(penultimate, 1)
        return {
            "logits": logits.numpy(),
            "penultimate": penultimate.numpy(),
            "mean_pool": mean_pool.numpy(),
            "max_pool": max_pool.numpy(),
        }
