"""Fixed-seed training of the demo and tiny CamVid configs gives the stored numbers.

``benchmarks/uda_equivalence.py --write`` stored them (one thread, bit-identical there); here
the logged values of the three iterations must agree to a relative 1e-5 (another thread count
or CPU changes the last bits of a reduction) and the state-dict keys exactly, so a refactor
that changes a loss, a log key or a checkpoint key fails.
"""
import json
import os.path as osp
import sys

import pytest

from .conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import uda_equivalence  # noqa: E402

with open(uda_equivalence.REFERENCE) as _f:
    STORED = json.load(_f)


def test_every_default_config_has_a_stored_fingerprint():
    assert sorted(STORED) == sorted(uda_equivalence.CONFIGS)


@pytest.mark.parametrize('path', uda_equivalence.CONFIGS)
def test_training_numbers_and_keys_unchanged(path):
    current = uda_equivalence.fingerprint(path)
    assert uda_equivalence.differences(STORED[path], current, rtol=1e-5, state=False) == []


def test_differences_name_a_changed_value_and_key_set():
    reference = STORED[uda_equivalence.CONFIGS[1]]
    changed = json.loads(json.dumps(reference))
    key = sorted(changed['log'][1])[0]
    changed['log'][1][key] *= 1.001
    changed['keys'] = '0' * 64
    lines = uda_equivalence.differences(reference, changed, rtol=1e-5)
    assert any(line.startswith(f'iteration 1: {key} ') for line in lines), lines
    assert 'state dict keys digest changed' in lines
    assert uda_equivalence.differences(reference, changed, rtol=1e-2)[-1] == \
        'state dict keys digest changed'
