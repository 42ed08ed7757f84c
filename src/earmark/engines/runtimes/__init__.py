"""Runtimes that engines run models on (TFLite through ai-edge-litert)."""
