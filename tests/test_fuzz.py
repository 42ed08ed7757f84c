"""A short mutation-fuzzing run of the input path (the long one: benchmarks/fuzz_decode.py).

Any exception other than an EarmarkError, or an input slower than the deadline, fails the test;
hypothesis then shrinks it to the smallest mutation seed that does it."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earmark import EarmarkError

import bad_inputs

SEEDS = bad_inputs.seeds()


@pytest.fixture(scope="module")
def ast(loaded):
    return loaded("ast")


@settings(
    max_examples=400,
    deadline=5000,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.sampled_from(sorted(SEEDS)), edits=st.integers(0, 2**32 - 1))
def test_mutated_files_give_a_result_or_an_earmark_error(ast, seed, edits):
    data = bad_inputs.mutate(SEEDS[seed], np.random.default_rng(edits))
    try:
        prediction = ast.classify(data)
    except EarmarkError as e:
        assert "\n" not in str(e)
    else:
        assert prediction.scores
