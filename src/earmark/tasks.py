"""Built-in tasks and the model each loads by default."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TASKS", "Task"]


@dataclass(frozen=True)
class Task:
    name: str
    default_model: str
    description: str


TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("audio-classification", "MIT/ast-finetuned-audioset-10-10-0.4593", "sound events, 527 AudioSet labels"),
        Task("zero-shot-audio-classification", "laion/clap-htsat-unfused", "free-text labels with CLAP"),
        Task("keyword-spotting", "MIT/ast-finetuned-speech-commands-v2", "35 Speech Commands keywords"),
        Task("wake-word", "wake-word/alexa", "openWakeWord/microWakeWord, offline; streams: earmark listen"),
        Task("intent", "anton-l/xtreme_s_xlsr_300m_minds14", "banking intents (MINDS-14), XLS-R"),
        Task("language-id", "whisper-base", "99 spoken languages, Whisper base, offline (CTranslate2)"),
        Task(
            "language-id-fleurs",
            "sanchit-gandhi/whisper-medium-fleurs-lang-id",
            "102 FLEURS languages, fine-tuned Whisper",
        ),
        Task("music-genre", "sanchit-gandhi/distilhubert-finetuned-gtzan", "10 GTZAN genres, DistilHuBERT"),
    )
}
