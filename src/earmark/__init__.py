"""earmark: what is in this audio? One call, any pretrained audio classifier.

    >>> import earmark
    >>> classifier = earmark.load("keyword-spotting")
    >>> classifier("yes.wav").to_list()
    [{'score': 0.98, 'label': 'yes'}, ...]

Nothing heavy is imported here: torch and transformers load with the first model.
"""

from .audio import Audio
from .classifier import Classifier
from .compat.pipeline import pipeline
from .errors import AudioError, EarmarkError, LabelError, MissingExtraError, ModelError, OptionError
from .io.decode import load_audio
from .options import ClassifyOptions, LoadOptions
from .registry import ModelRef, load, parse_ref
from .results import Failure, Prediction, Score, Segment, Timeline, TimelineWriter
from .tasks import TASKS

__version__ = "0.2.0"

__all__ = [
    "TASKS",
    "Audio",
    "AudioError",
    "ClassifyOptions",
    "Classifier",
    "EarmarkError",
    "Failure",
    "LabelError",
    "LoadOptions",
    "MissingExtraError",
    "ModelError",
    "ModelRef",
    "OptionError",
    "Prediction",
    "Score",
    "Segment",
    "Timeline",
    "TimelineWriter",
    "load",
    "load_audio",
    "parse_ref",
    "pipeline",
]
