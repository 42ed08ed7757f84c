"""Training on your own labels: heads on frozen encoders (``train_head``), keyword detectors
(``train_keyword``), and full fine-tuning of transformers models (``finetune``)."""

from ..engines.head import HeadClassifier, load_head
from .keyword import train_keyword
from .split import Split, group_of, split_clips
from .train import TrainOptions, TrainReport, train_head

__all__ = [
    "HeadClassifier",
    "Split",
    "TrainOptions",
    "TrainReport",
    "group_of",
    "load_head",
    "split_clips",
    "train_head",
    "train_keyword",
]
