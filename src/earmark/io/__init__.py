"""Audio in: decoding anything a user hands us, live streams (a file, stdin, a microphone), labelled
folders and manifests, Hugging Face datasets, and a description of a recording."""

from .decode import AUDIO_SUFFIXES, AudioInput, audio_files, expand_sources, load_audio

__all__ = ["AUDIO_SUFFIXES", "AudioInput", "audio_files", "expand_sources", "load_audio"]
