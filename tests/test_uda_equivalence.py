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


LS = dict(type='AdversarialLoss', gan_type='ls')


@pytest.mark.parametrize('older, loss_adv', [
    ("configs/output_space/camvid_day2dusk_tiny.py model.adaptations.output.gan_type=ls "
     "model.adaptations.output.levels=('logits','aux_logits') "
     "model.adaptations.output.loss_weights=(0.001,0.0002)",
     dict(output=dict(gan_type=None, loss_weights=None, levels=('logits', 'aux_logits'),
                      loss_adv=[dict(LS, loss_weight=0.001), dict(LS, loss_weight=0.0002)]))),
    ('configs/patch_align/camvid_day2dusk_tiny_ou.py model.adaptations.patch.gan_type=ls',
     dict(patch=dict(gan_type=None, loss_weight_adv=None,
                     loss_adv=dict(LS, loss_weight=0.0005)))),
    ('configs/fcn_wild/camvid_day2dusk_ga.py model.adaptations.ga.gan_type=ls',
     dict(ga=dict(gan_type=None, loss_weight=None,
                  loss_adv=dict(type='DomainConfusionLoss', gan_type='ls', loss_weight=0.1)))),
    ('configs/fcn_wild/camvid_day2dusk_ga_ca.py',
     dict(ca=dict(loss_weight=None, present_threshold=None, large_class_threshold=None,
                  large_class_grad_scale=None,
                  loss_cmil=dict(type='ConstrainedMILLoss', loss_weight=1.0,
                                 present_threshold=0.1, large_class_threshold=0.1,
                                 large_class_grad_scale=0.1)))),
])
def test_loss_config_trains_exactly_as_the_older_arguments(older, loss_adv):
    """The same run with ``loss_adv=dict(type='AdversarialLoss', ...)`` (or ``loss_cmil``) in
    place of the older arguments: identical values, to the bit, and the same state dict."""
    new = uda_equivalence.fingerprint(older.split()[0],
                                      overrides=dict(model=dict(adaptations=loss_adv)))
    assert new == uda_equivalence.fingerprint(older)
