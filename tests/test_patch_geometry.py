"""PatchAlignment's geometry as the tools read it, and patch_tsne's F from the module."""
import importlib.util
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from mmseg_uda.models.adaptation import PatchAlignment
from mmseg_uda.models.adaptation.patch_alignment import GEOMETRY_ARGS, crop_to_patch_grid
from mmseg_uda.models.segmentors import unwrap
from tests.conftest import REPO
from tests.test_patch_alignment import C, K, patch_cfg
from tests.test_patch_mode_accuracy import packed_samples
from tests.test_uda_segmentor import build

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis'))
from patch_tsne import patch_features  # noqa: E402


def tool_function(name: str):
    """``name`` of ``tools/build_patch_modes.py`` (``tools/`` is no package)."""
    spec = importlib.util.spec_from_file_location('_build_patch_modes',
                                                  osp.join(REPO, 'tools', 'build_patch_modes.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.mark.parametrize('overrides', [
    dict(),
    dict(patch_size=(8, 12), grid=(3, 2), ignore_index=254, min_labelled_fraction=0.25,
         head_pooling='patch'),
])
def test_geometry_of_a_config_is_the_built_modules(overrides):
    cfg = dict(type='PatchAlignment', patch_size=12, num_modes=K, hidden_channels=8)
    cfg.update(overrides)
    grid = overrides.get('grid', (2, 2))
    built = MODELS.build(dict(cfg, num_classes=C, modes=torch.zeros(K, grid[0] * grid[1] * C)))
    geometry = PatchAlignment.geometry_of(cfg)
    assert set(geometry) == set(GEOMETRY_ARGS)
    assert geometry == built.geometry
    if not overrides:  # unset arguments are the module's defaults
        assert (geometry['grid'], geometry['ignore_index'], geometry['head_pooling']) == \
            (built.grid, built.ignore_index, built.head.pooling) == ((2, 2), 255, 'cell')


def test_geometry_of_needs_a_patch_size():
    with pytest.raises(ValueError, match='PatchAlignment config needs patch_size'):
        PatchAlignment.geometry_of(dict(type='PatchAlignment', num_modes=K))


def test_build_patch_modes_compares_geometry_with_defaults_filled_in():
    patch_alignment_cfg = tool_function('patch_alignment_cfg')
    same = Config(dict(model=dict(adaptations=dict(
        a=dict(type='PatchAlignment', patch_size=16),
        b=dict(type='PatchAlignment', patch_size=(16, 16), grid=(2, 2), num_modes=50)))))
    assert patch_alignment_cfg(same).patch_size == 16
    other = Config(dict(model=dict(adaptations=dict(
        a=dict(type='PatchAlignment', patch_size=16),
        b=dict(type='PatchAlignment', patch_size=16, num_modes=40)))))
    with pytest.raises(ValueError, match='different patch_size/grid/num_modes'):
        patch_alignment_cfg(other)


def test_patch_tsne_features_are_the_modules_representation():
    """F of the tool equals softmax(H(cropped logits)) at every patch, in image-major,
    row-major patch order."""
    model = build(dict(patch=patch_cfg(patch_size=8))).eval()
    patch = unwrap(model.generator).adaptations['patch']
    dataset = packed_samples(3)  # 32x48 images: 4x6 patches of 8 px
    feats = patch_features(model, patch, dataset, num_images=3, batch_size=2)
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[d['inputs'] for d in dataset],
                                            data_samples=[d['data_samples'] for d in dataset]),
                                       False)
        outputs = model.generator.segmentor_outputs(data['inputs'], need_aux=False)
        logits, grid = crop_to_patch_grid(outputs['logits'], tuple(outputs['input_shape']),
                                          patch.patch_size)
        probs = torch.softmax(patch.head(logits, grid), dim=1)
    expected = probs.permute(0, 2, 3, 1).reshape(-1, K).numpy()
    assert feats.shape == (3 * 4 * 6, K)
    torch.testing.assert_close(torch.from_numpy(feats), torch.from_numpy(expected))
    assert not torch.allclose(torch.from_numpy(feats[0]), torch.from_numpy(feats[1]))
