"""Built-in tasks and the model each loads by default."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TASKS", "Task"]


@dataclass(frozen=True)
class Task:
    name: str
    default_model: str
    description: str
    licence: str = "see the model card"
    """The default model's licence; non-commercial ones say so."""


TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("audio-classification", "MIT/ast-finetuned-audioset-10-10-0.4593", "sound events, 527 AudioSet labels"),
        Task("zero-shot-audio-classification", "laion/clap-htsat-unfused", "free-text labels with CLAP"),
        Task("keyword-spotting", "MIT/ast-finetuned-speech-commands-v2", "35 Speech Commands keywords"),
        Task(
            "wake-word",
            "wake-word/alexa",
            "openWakeWord/microWakeWord, offline; streams: earmark listen",
            "Apache-2.0 / CC BY-NC-SA 4.0 (openWakeWord's pretrained heads)",
        ),
        Task("intent", "anton-l/xtreme_s_xlsr_300m_minds14", "banking intents (MINDS-14), XLS-R"),
        Task("language-id", "whisper-base", "99 spoken languages, Whisper base, offline (CTranslate2)", "MIT"),
        Task(
            "language-id-fleurs",
            "sanchit-gandhi/whisper-medium-fleurs-lang-id",
            "102 FLEURS languages, fine-tuned Whisper",
        ),
        Task(
            "music-genre", "musicnn-msd-genre", "30 genre tags of musicnn's Million Song Dataset tagger, offline", "ISC"
        ),
        Task("music-genre-gtzan", "sanchit-gandhi/distilhubert-finetuned-gtzan", "10 GTZAN genres, DistilHuBERT"),
        Task(
            "music-tagging",
            "musicnn-mtt",
            "50 MagnaTagATune tags (instruments, genres, moods), musicnn, offline",
            "ISC",
        ),
        Task(
            "birds",
            "birdnet",
            "6,522 bird species and other sounds, BirdNET V2.4, offline",
            "CC BY-NC-SA 4.0: NON-COMMERCIAL use only",
        ),
    )
}
