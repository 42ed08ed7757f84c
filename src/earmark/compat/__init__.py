"""Compatibility layers for code moving over from other libraries (``transformers.pipeline``)."""
