"""Tiny random models built from configs and saved to a folder - never downloaded.

Used by the tests, and by hand: ``python tests/tiny_models.py ast OUT_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

LABELS = ["yes", "no", "up", "down"]
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37)


def _labels(n: int = len(LABELS)) -> dict:
    names = LABELS[:n]
    return dict(num_labels=n, id2label=dict(enumerate(names)), label2id={x: i for i, x in enumerate(names)})


def _save(model, extractor, out: Path, tokenizer=None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(out)
    extractor.save_pretrained(out)
    if tokenizer is not None:
        tokenizer.save_pretrained(out)
    return out


def build_ast(out: Path, *, multi_label: bool = False) -> Path:
    """AST with a 1.0 s window (100 frames of 10 ms), 16 mel bins."""
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    torch.manual_seed(0)
    extra = {"problem_type": "multi_label_classification"} if multi_label else {}
    config = ASTConfig(**SMALL, max_length=100, num_mel_bins=16, **_labels(), **extra)
    extractor = ASTFeatureExtractor(num_mel_bins=16, max_length=100)
    return _save(ASTForAudioClassification(config), extractor, out)


def _conv(**overrides) -> dict:
    return dict(
        conv_dim=(16, 16, 16, 16),
        conv_kernel=(10, 3, 3, 3),
        conv_stride=(5, 4, 4, 4),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        classifier_proj_size=16,
        **SMALL,
        **_labels(),
        **overrides,
    )


def build_wav2vec2(out: Path, *, attention_mask: bool = False) -> Path:
    """wav2vec2; ``attention_mask`` makes the layer-norm variant whose extractor returns a mask (like XLS-R)."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    torch.manual_seed(1)
    norm = {"feat_extract_norm": "layer", "do_stable_layer_norm": True} if attention_mask else {}
    config = Wav2Vec2Config(**_conv(**norm))
    extractor = Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=attention_mask)
    return _save(Wav2Vec2ForSequenceClassification(config), extractor, out)


def build_hubert(out: Path) -> Path:
    from transformers import HubertConfig, HubertForSequenceClassification, Wav2Vec2FeatureExtractor

    torch.manual_seed(2)
    extractor = Wav2Vec2FeatureExtractor(do_normalize=False, return_attention_mask=False)
    return _save(HubertForSequenceClassification(HubertConfig(**_conv())), extractor, out)


def build_whisper(out: Path) -> Path:
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForAudioClassification

    torch.manual_seed(3)
    config = WhisperConfig(
        d_model=32,
        encoder_layers=2,
        encoder_attention_heads=2,
        decoder_layers=1,
        decoder_attention_heads=2,
        encoder_ffn_dim=37,
        decoder_ffn_dim=37,
        num_mel_bins=80,
        classifier_proj_size=16,
        **_labels(),
    )
    return _save(WhisperForAudioClassification(config), WhisperFeatureExtractor(), out)


def build_clap(out: Path) -> Path:
    """CLAP (48 kHz, 10 s window) with an offline byte-level BPE tokenizer over printable ASCII."""
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, RobertaTokenizer

    torch.manual_seed(4)
    tokens = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"] + [chr(c) for c in range(33, 127)] + ["\u0120"]
    vocab = {t: i for i, t in enumerate(tokens)}
    tokenizer = RobertaTokenizer(vocab=vocab, merges=[])  # objects, not file paths (those are ignored)
    config = ClapConfig(
        text_config=dict(vocab_size=len(vocab), max_position_embeddings=64, projection_dim=16, **SMALL),
        audio_config=dict(
            depths=[1, 1],
            num_attention_heads=[2, 2],
            patch_embeds_hidden_size=16,
            hidden_size=32,
            window_size=8,
            spec_size=256,
            num_mel_bins=64,
            projection_dim=16,
            enable_fusion=False,
        ),
        projection_dim=16,
    )
    extractor = ClapFeatureExtractor(truncation="rand_trunc")
    return _save(ClapModel(config), extractor, out, tokenizer)


def build_xvector(out: Path) -> Path:
    """A wav2vec2 x-vector (speaker verification) model, as the Hub's ``...-sv`` checkpoints are."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForXVector

    torch.manual_seed(5)
    config = Wav2Vec2Config(
        **_conv(), tdnn_dim=(16, 16, 16), tdnn_kernel=(5, 3, 1), tdnn_dilation=(1, 2, 1), xvector_output_dim=12
    )
    return _save(Wav2Vec2ForXVector(config), Wav2Vec2FeatureExtractor(do_normalize=True), out)


BUILDERS = {
    "ast": build_ast,
    "wav2vec2": build_wav2vec2,
    "hubert": build_hubert,
    "whisper": build_whisper,
    "clap": build_clap,
    "xvector": build_xvector,
}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in BUILDERS:
        sys.exit(f"usage: python tests/tiny_models.py {{{','.join(BUILDERS)}}} OUT_DIR")
    print(BUILDERS[sys.argv[1]](Path(sys.argv[2])))
