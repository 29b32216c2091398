"""tools/build_patch_modes.py on synthetic data, and the paper's values in the patch configs."""
import os
import os.path as osp
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmseg.datasets import CityscapesDataset
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.patch_modes import load_patch_modes
from mmseg_uda.models.adaptation import PatchAlignment
from tests.conftest import REPO

K = 4
PATCH = 16
NUM_CLASSES = 19


def build_modes(config: Path, out: Path, *extra: str) -> str:
    """Run the tool on CPU; return its combined output."""
    args = [sys.executable, osp.join(REPO, 'tools', 'build_patch_modes.py'), str(config), '--out',
            str(out), '--num-workers', '1', '--batch-size', '2', *extra]
    proc = subprocess.run(args, cwd=REPO, env={**os.environ, 'CUDA_VISIBLE_DEVICES': ''},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)
    assert proc.returncode == 0, f'{args} exited with {proc.returncode}:\n{proc.stdout[-6000:]}'
    return proc.stdout


def write_config(folder: Path, num_train: int) -> Path:
    """Synthetic data and the output-space demo config with a PatchAlignment (K=4, 16x16
    patches) reading them."""
    data = generate_synthetic_uda_data(str(folder / 'data'), num_train=num_train, num_val=1,
                                       width=128, height=64)
    config = folder / 'patch_synthetic.py'
    config.write_text(f"""_base_ = [{osp.join(REPO, 'configs/demo/output_space_synthetic.py')!r}]
model = dict(adaptations=dict(patch=dict(type='PatchAlignment', modes_file='unused.pth',
                                         patch_size={PATCH}, num_modes={K})))
train_dataloader = dict(dataset=dict(source=dict(data_root={data['source_root']!r}),
                                     target=dict(data_root={data['target_root']!r})))
""")
    return config


def configured_grid(config: Path) -> tuple:
    """The cells per patch the config's PatchAlignment builds (it sets none: the default)."""
    return PatchAlignment.geometry_of(Config.fromfile(str(config)).model.adaptations.patch)['grid']


@pytest.fixture(scope='module')
def synthetic_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp('patch_modes'), num_train=6)


def test_build_patch_modes_on_synthetic_data(synthetic_config: Path, tmp_path: Path) -> None:
    out = tmp_path / 'modes' / 'synthetic_k4.pth'
    log = build_modes(synthetic_config, out, '--seed', '3')
    grid = configured_grid(synthetic_config)
    modes = load_patch_modes(str(out), NUM_CLASSES, PATCH, grid, K)
    data = torch.load(out, weights_only=True)
    assert data['classes'] == list(CityscapesDataset.METAINFO['classes'])
    assert (data['k'], data['patch_size'], data['grid'], data['seed']) == \
        (K, [PATCH, PATCH], list(grid), 3)
    assert data['dataset'].startswith('CityscapesDataset:')
    # centres of normalised cell histograms: every cell sums to 1 (or 0 if never labelled)
    cell_sums = modes.view(K, 4, NUM_CLASSES).sum(-1)
    assert torch.all(modes >= 0)
    assert modes.shape == (K, 4 * NUM_CLASSES)
    assert torch.all(((cell_sums - 1).abs() < 1e-4) | (cell_sums.abs() < 1e-6))
    # 6 label maps of 64x128 give 4x8 patches each; the synthetic scenes label every pixel
    assert re.search(r'patches: 192 from 6 label maps', log), log
    assert re.search(r'mode sizes \(patches\): min \d+, median \d+, max \d+', log), log
    assert re.search(r'inertia \(streaming\): \d+\.\d+', log), log


def test_build_patch_modes_max_patches_and_overrides(synthetic_config: Path,
                                                     tmp_path: Path) -> None:
    out = tmp_path / 'modes_k3.pth'
    log = build_modes(synthetic_config, out, '--k', '3', '--patch-size', '32', '--max-patches',
                      '40')
    sizes = re.search(r'mode sizes \(patches\): min (\d+), median (\d+), max (\d+)', log)
    assert re.search(r'patches: 40 from \d+ label maps', log), log
    assert sizes and int(sizes.group(3)) <= 40
    assert load_patch_modes(str(out), NUM_CLASSES, 32, configured_grid(synthetic_config),
                            3).shape == (3, 4 * NUM_CLASSES)


def test_out_of_range_label_is_refused_naming_the_file(tmp_path: Path) -> None:
    """Review 3d: the error named the value (50) but not the label file; nothing is saved."""
    config = write_config(tmp_path, num_train=2)
    label_path = sorted((tmp_path / 'data' / 'source' / 'gtFine').rglob('*.png'))[1]
    label = cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)
    label[:4, :4] = 50
    cv2.imwrite(str(label_path), label)
    out = tmp_path / 'modes.pth'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'build_patch_modes.py'),
                           str(config), '--out', str(out), '--num-workers', '0'], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)
    assert proc.returncode != 0
    assert f"label file '{label_path}': label values [50]" in proc.stdout, proc.stdout[-3000:]
    assert not out.exists()


def test_gta2cs_config_has_the_paper_values() -> None:
    cfg = Config.fromfile(osp.join(REPO, 'configs/patch_align/gta2cs.py'))
    patch = cfg.model.adaptations.patch
    assert patch.type == 'PatchAlignment' and patch.num_modes == 50
    assert patch.loss_weight_cluster == 0.01 and patch.loss_weight_adv == 0.0005
    assert patch.discriminator.type == 'FCDiscriminator'
    assert patch.modes_file == 'work_dirs/patch_modes/gta2cs_k50.pth'
    assert cfg.model.warmup_iters == 10000
    seg = cfg.optim_wrapper.generator
    assert seg.optimizer == dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4)
    assert seg.paramwise_cfg.custom_keys.head.lr_mult == 10.0
    assert cfg.optim_wrapper.discriminator.optimizer == dict(type='Adam', lr=1e-4,
                                                             betas=(0.9, 0.99))
    (poly, ) = cfg.param_scheduler
    assert poly.type == 'PolyLR' and poly.power == 0.9
    assert cfg.model.segmentor.backbone.depth == 101
    assert cfg.model.segmentor.decode_head.type == 'DeepLabV2Head'
    assert cfg.model.segmentor.auxiliary_head is None
    for name, weights in (('gta2cs_ld_only_1xb1', (0.01, 0.0)),
                          ('gta2cs_adv_no_ld_1xb1', (0.0, 0.0005))):
        ablation = Config.fromfile(osp.join(REPO, f'configs/patch_align/{name}.py'))
        patch = ablation.model.adaptations.patch
        assert (patch.loss_weight_cluster, patch.loss_weight_adv) == weights, name
    assert np.isclose(cfg.train_cfg.max_iters, 150000)
