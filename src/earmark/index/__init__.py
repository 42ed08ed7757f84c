"""The discovery loop: an embedding index of a corpus's windows, search by example and by text,
labels kept beside the vectors, active learning, and training a head from reviewed labels."""

from .embed import EmbedOptions, EmbedSummary, embed
from .rows import Hit, IndexSettings
from .store import Index

__all__ = ["EmbedOptions", "EmbedSummary", "Hit", "Index", "IndexSettings", "embed"]
