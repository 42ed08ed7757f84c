"""Wake words: openWakeWord (TFLite on ai-edge-litert) and microWakeWord (pymicro-wakeword), as
streaming frame scorers and as one clip classifier."""

from .classifier import PREFIX, WakeWordClassifier, load
from .microwakeword import MICROWAKEWORD_MODELS
from .openwakeword import OPENWAKEWORD_MODELS

__all__ = ["MICROWAKEWORD_MODELS", "OPENWAKEWORD_MODELS", "PREFIX", "WakeWordClassifier", "load"]
