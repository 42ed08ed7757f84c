"""The task table: every task's default model is a reference the registry parses, non-commercial ones say so."""

from earmark.registry import parse_ref
from earmark.tasks import TASKS


def test_every_task_resolves_to_its_default_model():
    for name, task in TASKS.items():
        ref = parse_ref(name)
        assert ref.kind == "task" and ref.task == name and ref.target == task.default_model
        assert parse_ref(task.default_model).kind in ("hub", "name", "wake-word")


def test_non_commercial_licences_are_stated():
    assert "NON-COMMERCIAL" in TASKS["birds"].licence
