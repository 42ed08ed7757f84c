"""The one torch thread setter."""

import torch

from earmark.threads import set_torch_threads


def test_sets_only_when_asked():
    before = torch.get_num_threads()
    try:
        set_torch_threads(None)
        assert torch.get_num_threads() == before
        set_torch_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
