"""earmark: what is in this audio? One call, any pretrained audio classifier.

    >>> import earmark
    >>> classifier = earmark.load("keyword-spotting")
    >>> classifier("yes.wav").to_list()
    [{'score': 0.98, 'label': 'yes'}, ...]

Nothing heavy is imported here: torch and transformers load with the first model.
"""

from .audio import Audio
from .classifier import Classifier
from .decode import load_audio
from .errors import AudioError, EarmarkError, LabelError, MissingExtraError, ModelError, OptionError
from .loading import load
from .options import ClassifyOptions
from .pipeline import pipeline
from .results import Prediction, Score, Segment, Timeline
from .tasks import TASKS

__version__ = "0.1.0"

__all__ = [
    "TASKS",
    "Audio",
    "AudioError",
    "ClassifyOptions",
    "Classifier",
    "EarmarkError",
    "LabelError",
    "MissingExtraError",
    "ModelError",
    "OptionError",
    "Prediction",
    "Score",
    "Segment",
    "Timeline",
    "load",
    "load_audio",
    "pipeline",
]
