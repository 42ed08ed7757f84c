"""Engines: one :class:`~earmark.classifier.Classifier` per model family, each chosen through the
engine table in :mod:`earmark.registry`. Engines never call ``earmark.load``; applications do."""
