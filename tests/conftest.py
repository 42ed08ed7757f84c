import os

# Tests never touch the network: the Hub is always offline here.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

import tiny_models  # noqa: E402


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """Build each tiny model once per session: model_dir("ast") -> its folder."""
    built: dict[str, Path] = {}

    def get(kind: str, **kwargs) -> Path:
        key = kind + "".join(f"-{k}" for k, v in sorted(kwargs.items()) if v)
        if key not in built:
            built[key] = tiny_models.BUILDERS[kind](tmp_path_factory.mktemp(key), **kwargs)
        return built[key]

    return get


@pytest.fixture(scope="session")
def loaded(model_dir):
    """Load each tiny model once per session through earmark.load."""
    import earmark

    cache = {}

    def get(kind: str, **kwargs):
        key = (kind, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = earmark.load(model_dir(kind, **kwargs))
        return cache[key]

    return get
