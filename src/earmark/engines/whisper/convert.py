"""Convert a CTranslate2 Whisper (faster-whisper's format) to a transformers Whisper model.

CTranslate2 fuses attention projections: self-attention ``linear_0`` is q|k|v stacked, cross-attention
``linear_1`` is k|v; ``gamma``/``beta`` are LayerNorm weight/bias. Whisper's key projections have no
bias (CTranslate2 stores zeros there).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ...errors import ModelError
from .ct2_format import read_ct2

__all__ = ["convert_ct2_whisper"]

SOT, EOT = "<|startoftranscript|>", "<|endoftext|>"


def convert_ct2_whisper(ct2_dir: str | Path, out_dir: str | Path) -> Path:
    """Write ``WhisperForConditionalGeneration`` (float32), its feature extractor and tokenizer to ``out_dir``."""
    import torch
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    ct2_dir, out_dir = Path(ct2_dir), Path(out_dir)
    spec, variables = read_ct2(ct2_dir / "model.bin")
    if spec != "WhisperSpec":
        raise ModelError(f"{ct2_dir}: a CTranslate2 {spec}, not a Whisper model")
    vocab = _vocab(ct2_dir)
    config = _config(variables, vocab)
    state = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in _state_dict(variables).items()}
    model = WhisperForConditionalGeneration(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k != "proj_out.weight"]  # tied to the token embeddings
    if missing or unexpected:
        raise ModelError(
            f"{ct2_dir}: conversion left weights unmatched: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    model.tie_weights()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(out_dir)
    WhisperFeatureExtractor(feature_size=config.num_mel_bins).save_pretrained(out_dir)
    _save_tokenizer(ct2_dir, out_dir)
    _save_generation_config(ct2_dir, out_dir, vocab)
    return out_dir


def _vocab(ct2_dir: Path) -> dict[str, int]:
    lines = (ct2_dir / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    return {token: i for i, token in enumerate(lines)}


def _config(v: dict[str, np.ndarray], vocab: dict[str, int]):
    from transformers import WhisperConfig

    def layers(prefix: str) -> int:
        return len({m[1] for k in v if (m := re.match(rf"{prefix}/layer_(\d+)/", k))})

    return WhisperConfig(
        vocab_size=v["decoder/embeddings/weight"].shape[0],
        num_mel_bins=v["encoder/conv1/weight"].shape[1],
        d_model=v["encoder/conv1/weight"].shape[0],
        encoder_layers=layers("encoder"),
        decoder_layers=layers("decoder"),
        encoder_attention_heads=int(v["encoder/num_heads"]),
        decoder_attention_heads=int(v["decoder/num_heads"]),
        encoder_ffn_dim=v["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        decoder_ffn_dim=v["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        max_source_positions=v["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=v["decoder/position_encodings/encodings"].shape[0],
        decoder_start_token_id=vocab[SOT],
        eos_token_id=vocab[EOT],
        pad_token_id=vocab[EOT],
        bos_token_id=vocab[EOT],
        tie_word_embeddings=True,
    )


def _linear(state: dict, hf: str, ct2: dict, name: str, *, bias: bool = True) -> None:
    state[f"{hf}.weight"] = ct2[f"{name}/weight"]
    if bias:
        state[f"{hf}.bias"] = ct2[f"{name}/bias"]


def _norm(state: dict, hf: str, ct2: dict, name: str) -> None:
    state[f"{hf}.weight"], state[f"{hf}.bias"] = ct2[f"{name}/gamma"], ct2[f"{name}/beta"]


def _split(state: dict, hf: str, ct2: dict, name: str, parts: tuple[str, ...]) -> None:
    weights = np.split(ct2[f"{name}/weight"], len(parts))
    biases = np.split(ct2[f"{name}/bias"], len(parts))
    for part, w, b in zip(parts, weights, biases):
        state[f"{hf}.{part}.weight"] = w
        if part != "k_proj":
            state[f"{hf}.{part}.bias"] = b


def _layer(state: dict, hf: str, ct2: dict, name: str, *, cross: bool) -> None:
    _split(state, f"{hf}.self_attn", ct2, f"{name}/self_attention/linear_0", ("q_proj", "k_proj", "v_proj"))
    _linear(state, f"{hf}.self_attn.out_proj", ct2, f"{name}/self_attention/linear_1")
    _norm(state, f"{hf}.self_attn_layer_norm", ct2, f"{name}/self_attention/layer_norm")
    if cross:
        _linear(state, f"{hf}.encoder_attn.q_proj", ct2, f"{name}/attention/linear_0")
        _split(state, f"{hf}.encoder_attn", ct2, f"{name}/attention/linear_1", ("k_proj", "v_proj"))
        _linear(state, f"{hf}.encoder_attn.out_proj", ct2, f"{name}/attention/linear_2")
        _norm(state, f"{hf}.encoder_attn_layer_norm", ct2, f"{name}/attention/layer_norm")
    _linear(state, f"{hf}.fc1", ct2, f"{name}/ffn/linear_0")
    _linear(state, f"{hf}.fc2", ct2, f"{name}/ffn/linear_1")
    _norm(state, f"{hf}.final_layer_norm", ct2, f"{name}/ffn/layer_norm")


def _state_dict(v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    state: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        _linear(state, f"model.encoder.{conv}", v, f"encoder/{conv}")
    state["model.encoder.embed_positions.weight"] = v["encoder/position_encodings/encodings"]
    state["model.decoder.embed_tokens.weight"] = v["decoder/embeddings/weight"]
    state["model.decoder.embed_positions.weight"] = v["decoder/position_encodings/encodings"]
    for side in ("encoder", "decoder"):
        count = len({k.split("/")[1] for k in v if k.startswith(f"{side}/layer_") and k.split("/")[1][6:].isdigit()})
        for i in range(count):
            _layer(state, f"model.{side}.layers.{i}", v, f"{side}/layer_{i}", cross=side == "decoder")
        _norm(state, f"model.{side}.layer_norm", v, f"{side}/layer_norm")
    return state


def _save_tokenizer(ct2_dir: Path, out_dir: Path) -> None:
    from transformers import WhisperTokenizerFast

    WhisperTokenizerFast(tokenizer_file=str(ct2_dir / "tokenizer.json")).save_pretrained(out_dir)


def _save_generation_config(ct2_dir: Path, out_dir: Path, vocab: dict[str, int]) -> None:
    """Language tokens for language ID, in the ``lang_to_id`` form transformers' Whisper uses."""
    lang_ids = json.loads((ct2_dir / "config.json").read_text())["lang_ids"]
    ids_to_token = {i: t for t, i in vocab.items()}
    from transformers import GenerationConfig

    generation = GenerationConfig(
        decoder_start_token_id=vocab[SOT],
        eos_token_id=vocab[EOT],
        pad_token_id=vocab[EOT],
        lang_to_id={ids_to_token[i]: i for i in lang_ids},
        is_multilingual=True,
        task_to_id={"transcribe": vocab["<|transcribe|>"], "translate": vocab["<|translate|>"]},
        no_timestamps_token_id=vocab["<|notimestamps|>"],
        max_length=448,
    )
    generation.save_pretrained(out_dir)
