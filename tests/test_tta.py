"""Test-time augmentation and the output options of tools/test.py.

Every shipped config has ``tta_model`` and a ``tta_pipeline`` that builds and whose scale-1
unflipped view is the plain test input; ``tools/test.py --tta``, ``--show-dir`` and ``--out``
run on a tiny UDA config and write what MMSeg's SegTTAModel and the plain model predict.
"""
import copy
import glob
import os.path as osp
import re
import shutil
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from PIL import Image

from mmseg.registry import DATASETS, MODELS
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.datasets.transforms import bind_label_checks
from mmseg_uda.engine.adabn import _plain_segmentor
from mmseg_uda.engine.data_checks import decode_head_num_classes
from mmseg_uda.testing import shipped_configs
from tests.conftest import REPO
from tests.test_launch import run_tool
from tests.tiny_pair import load_uda_model, write_pair

CONFIGS = [osp.join(REPO, p) for p in shipped_configs(REPO)]  # aliases merge to these
DATASET_BASES = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '_base_', 'datasets', '*.py'))
                       if 'tta_pipeline' in Config.fromfile(p))
TEST = [sys.executable, osp.join(REPO, 'tools', 'test.py')]


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, osp.join(REPO, 'configs')))
def test_every_config_has_test_time_augmentation(path):
    cfg = Config.fromfile(path)
    assert MODELS.get(cfg.tta_model.type).__name__ == 'SegTTAModel'
    steps = Compose(cfg.tta_pipeline).transforms
    assert type(steps[-1]).__name__ == 'TestTimeAug'


def test_every_dataset_base_has_a_tta_pipeline():
    """The dataset configs with a test pipeline all define tta_pipeline (fda_pipelines.py holds
    only source pipelines)."""
    with_test = {p for p in glob.glob(osp.join(REPO, 'configs', '_base_', 'datasets', '*.py'))
                 if 'test_pipeline' in Config.fromfile(p)}
    assert with_test and with_test == set(DATASET_BASES)


@pytest.mark.parametrize('path', DATASET_BASES, ids=osp.basename)
def test_tta_views_are_the_test_input_rescaled_and_flipped(path, tmp_path):
    """12 views (6 scales x 2 flips); the scale-1 views are the test pipeline's input and its
    mirror image; the other scales are that input's size times the ratio; every view carries
    the full-resolution label."""
    cfg = Config.fromfile(path)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(tmp_path / 'i.png')
    Image.fromarray(rng.integers(0, 5, (48, 64), dtype=np.uint8)).save(tmp_path / 'l.png')
    sample = dict(img_path=str(tmp_path / 'i.png'), seg_map_path=str(tmp_path / 'l.png'),
                  reduce_zero_label=False, seg_fields=[])
    plain = Compose(cfg.test_pipeline)(copy.deepcopy(sample))
    views = Compose(cfg.tta_pipeline)(copy.deepcopy(sample))
    ratios = cfg.img_ratios
    assert len(views['inputs']) == 2 * len(ratios)
    one = 2 * ratios.index(1.0)
    assert torch.equal(views['inputs'][one], plain['inputs'])
    assert torch.equal(views['inputs'][one + 1], plain['inputs'].flip(-1))
    h, w = plain['inputs'].shape[1:]
    for i, ratio in enumerate(ratios):
        assert views['inputs'][2 * i].shape[1:] == (int(h * ratio + 0.5), int(w * ratio + 0.5))
    for view in views['data_samples']:
        assert torch.equal(view.gt_sem_seg.data, plain['data_samples'].gt_sem_seg.data)


@pytest.fixture(scope='module')
def tiny_test_setup(tmp_path_factory):
    """The tiny UDA config on 3 synthetic target val images (64x32), and its checkpoint."""
    root = tmp_path_factory.mktemp('tta')
    generate_synthetic_uda_data(str(root / 'data'), num_train=1, num_val=3, width=64, height=32,
                                seed=1)
    config, checkpoint = write_pair(root)
    return root, config, checkpoint


def in_process_predictions(config, checkpoint, tta: bool) -> dict:
    """Image name -> label map of the UDA model on the test set: plain, or merged by MMSeg's
    SegTTAModel over the views of the config's tta_pipeline."""
    cfg = Config.fromfile(str(config))
    dataset_cfg = cfg.test_dataloader.dataset
    if tta:
        dataset_cfg.pipeline = cfg.tta_pipeline
    dataset = DATASETS.build(dataset_cfg)
    model = load_uda_model(config, checkpoint)
    if tta:
        model = MODELS.build(dict(cfg.tta_model, module=model))
    predictions = {}
    with torch.no_grad():
        for i in range(len(dataset)):
            sample = model.test_step(pseudo_collate([dataset[i]]))[0]
            name = osp.splitext(osp.basename(sample.img_path))[0]
            predictions[name] = sample.pred_sem_seg.data[0].numpy()
    return predictions


def read_pngs(folder) -> dict:
    return {osp.splitext(osp.basename(p))[0]: np.array(Image.open(p))
            for p in sorted(glob.glob(osp.join(str(folder), '*.png')))}


def test_test_tool_tta_out_and_show_dir(tiny_test_setup):
    """--tta --out writes SegTTAModel's merged predictions, which differ from the plain ones
    that --out writes without --tta; --show-dir draws every test image."""
    root, config, checkpoint = tiny_test_setup
    args = TEST + [str(config), str(checkpoint)]
    out = run_tool(args + ['--tta', '--out', str(root / 'tta'), '--work-dir', str(root / 'w1')],
                   cwd=root)
    assert re.search(r'mIoU: \d+\.\d+', out), out[-3000:]
    assert 'DataChecksHook: model.segmentor.decode_head.num_classes=19' in out
    run_tool(args + ['--out', str(root / 'plain'), '--show-dir', str(root / 'show'),
                     '--work-dir', str(root / 'w2')], cwd=root)
    tta, plain = read_pngs(root / 'tta'), read_pngs(root / 'plain')
    expected_tta = in_process_predictions(config, checkpoint, tta=True)
    expected_plain = in_process_predictions(config, checkpoint, tta=False)
    assert len(expected_tta) == 3 and tta.keys() == plain.keys() == expected_tta.keys()
    for name in tta:
        assert tta[name].shape == plain[name].shape == (32, 64)
        np.testing.assert_array_equal(tta[name], expected_tta[name])
        np.testing.assert_array_equal(plain[name], expected_plain[name])
    assert any(not np.array_equal(tta[n], plain[n]) for n in tta), 'TTA changed no prediction'
    drawn = sorted(glob.glob(str(root / 'show' / '**' / '*.png'), recursive=True))
    assert len(drawn) == 3, drawn
    for path in drawn:  # the ground truth and the prediction side by side
        assert np.array(Image.open(path)).shape == (32, 128, 3)


def test_data_checks_and_adabn_reach_through_the_tta_model(tiny_test_setup, tmp_path):
    """Under --tta the class count is still checked, AdaBN finds the segmentor, and the label
    checks of LoadCheckedAnnotations inside TestTimeAug are bound: a label value outside the
    classes is an error naming the file."""
    root, config, checkpoint = tiny_test_setup
    cfg = Config.fromfile(str(config))
    model = load_uda_model(config, checkpoint)
    tta = MODELS.build(dict(cfg.tta_model, module=model))
    assert decode_head_num_classes(tta) == (19, 'model.segmentor.decode_head.num_classes')
    assert _plain_segmentor(tta) == (model.segmentor, model.segmentor.data_preprocessor)
    shutil.copytree(root / 'data' / 'target', tmp_path / 'target')
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(tmp_path / 'target'),
                                  pipeline=cfg.tta_pipeline))
    assert bind_label_checks(dataset) == 1
    label = dataset.get_data_info(0)['seg_map_path']
    values = np.array(Image.open(label))
    values[0, 0] = 50
    Image.fromarray(values).save(label)
    with pytest.raises(ValueError, match=re.escape(label)):
        dataset[0]
