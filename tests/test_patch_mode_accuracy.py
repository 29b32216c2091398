"""tools/analysis/patch_mode_accuracy.py: H's mode accuracy against Γ(Y)."""
import os.path as osp
import sys

import torch

from mmseg_uda.models.segmentors import unwrap
from tests.conftest import REPO, make_batch
from tests.test_patch_alignment import K, patch_cfg
from tests.test_uda_segmentor import build

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis'))
from patch_mode_accuracy import mode_accuracy  # noqa: E402


def packed_samples(n=3):
    batch = make_batch(n, 32, 48, seed=5)  # uniform random labels: every patch is mixed
    return [dict(inputs=i, data_samples=s) for i, s in zip(batch['inputs'], batch['data_samples'])]


def test_mode_accuracy_counts_patches_and_hits():
    model = build(dict(patch=patch_cfg(patch_size=8))).eval()
    patch = unwrap(model.generator).adaptations['patch']
    dataset = packed_samples()
    # force H to predict mode 2 everywhere: the accuracy is then the share of Γ targets = 2
    with torch.no_grad():
        patch.head.convs[-1].bias.fill_(0)
        patch.head.convs[-1].bias[2] = 1e4
    data = model.data_preprocessor(dict(inputs=[d['inputs'] for d in dataset],
                                        data_samples=[d['data_samples'] for d in dataset]), True)
    targets = patch.patch_targets(data['data_samples'], (32, 48))
    result = mode_accuracy(model, patch, dataset, batch_size=2, mixed_below=0.9)
    assert result['patches'] == 3 * 4 * 6 == targets.numel()
    assert result['mixed_patches'] == result['patches']
    assert abs(result['accuracy'] - (targets == 2).float().mean().item()) < 1e-9
    assert result['mixed_accuracy'] == result['accuracy']
    assert 0 < (targets == 2).sum() < targets.numel() and K > 2
