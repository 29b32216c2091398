"""Rare-class sampling (DAFormer RCS): the class probabilities, the draws' frequencies, the crop
re-draws inside UDADataset, the statistics tool, and statistics of another dataset."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmseg.registry import DATASETS
from mmseg_uda.datasets.rare_class_sampling import (CROP_TRIES, RareClassSampler,
                                                    rcs_class_probabilities)
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.datasets.uda_dataset import UDAIndex
from tests.conftest import REPO
from tests.test_launch import run_tool

CLASSES = ['a', 'b', 'c', 'd']


def write_stats(path: Path, pixels_by_file: dict, classes=CLASSES) -> Path:
    images = {name: dict(height=10, width=10, pixels=list(p))
              for name, p in pixels_by_file.items()}
    path.write_text(json.dumps(dict(dataset='crafted', classes=classes, images=images)))
    return path


def test_class_probabilities_are_daformers_formula():
    classes, probs = rcs_class_probabilities([600, 0, 300, 100], temperature=0.5)
    assert classes == [3, 2, 0]  # present classes, rarest first; class 1 never drawn
    f = np.array([100, 300, 600]) / 1000
    want = np.exp((1 - f) / 0.5) / np.exp((1 - f) / 0.5).sum()
    np.testing.assert_allclose(probs, want, rtol=1e-12)
    with pytest.raises(ValueError, match='class_temp must be > 0'):
        rcs_class_probabilities([1, 2], 0.0)


def test_draw_frequencies_match_the_formula(tmp_path):
    """20000 draws: class shares within 0.01 of softmax((1 - f) / T); images only among those
    with more than min_pixels of the class, uniformly."""
    stats = write_stats(tmp_path / 'stats.json', {
        'x0.png': [500, 40, 0, 0], 'x1.png': [500, 0, 30, 5], 'x2.png': [0, 60, 0, 25],
        'x3.png': [0, 0, 200, 0]})
    sampler = RareClassSampler(str(stats), CLASSES, ['d/x0.png', 'd/x1.png', 'd/x2.png',
                                                     'd/x3.png'],
                               class_temp=0.2, min_pixels=20, min_crop_ratio=0.5)
    np.random.seed(0)
    draws = [sampler.draw() for _ in range(20000)]
    totals = np.array([1000, 100, 230, 30])
    f = totals / totals.sum()
    order = np.argsort(totals)
    want = np.exp((1 - f[order]) / 0.2)
    want /= want.sum()
    got = np.array([np.mean([c == k for c, _ in draws]) for k in order])
    np.testing.assert_allclose(got, want, atol=0.01)
    assert sampler.samples_with_class == {0: [0, 1], 1: [0, 2], 2: [1, 3], 3: [2]}
    # class 3 (5 pixels in two images) has no image above min_pixels: an error names it
    with pytest.raises(ValueError, match="min_pixels=20 pixels of class 'd'"):
        RareClassSampler(str(write_stats(tmp_path / 's2.json', {
            'x0.png': [500, 40, 30, 5]})), CLASSES, ['x0.png'], min_pixels=20)
    counts = np.bincount([i for c, i in draws if c == 2], minlength=4)
    assert counts[0] == counts[2] == 0 and abs(counts[1] / counts[[1, 3]].sum() - 0.5) < 0.03


def test_statistics_of_another_dataset_are_refused(tmp_path):
    stats = write_stats(tmp_path / 'stats.json', {'x0.png': [1, 2, 3, 4]})
    with pytest.raises(ValueError, match=r"counts the classes \['a', 'b', 'c', 'd'\].*source "
                       r"dataset has the classes \['a', 'b', 'c'\]"):
        RareClassSampler(str(stats), CLASSES[:3], ['x0.png'])
    with pytest.raises(ValueError, match="counts 'x0.png', which is not a label file"):
        RareClassSampler(str(stats), CLASSES, ['y0.png'])
    with pytest.raises(ValueError, match="the source label 'y1.png' is not in"):
        RareClassSampler(str(stats), CLASSES, ['x0.png', 'y1.png'])
    with pytest.raises(FileNotFoundError, match='tools/compute_label_stats.py CONFIG --out'):
        RareClassSampler(str(tmp_path / 'none.json'), CLASSES, ['x0.png'])


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('rcs') / 'data'
    generate_synthetic_uda_data(str(root), num_train=4, num_val=1, width=128, height=64, seed=5)
    return root


def uda_cfg(root: Path, stats: Path, **rcs) -> dict:
    def city(domain, labels):
        prefix = dict(img_path='leftImg8bit/train')
        pipeline = [dict(type='LoadImageFromFile')]
        if labels:
            prefix['seg_map_path'] = 'gtFine/train'
            pipeline.append(dict(type='LoadCheckedAnnotations'))
        pipeline += [dict(type='RandomCrop', crop_size=(32, 32)), dict(type='PackSegInputs')]
        return dict(type='CityscapesDataset', data_root=str(root / domain), data_prefix=prefix,
                    pipeline=pipeline)

    return dict(type='UDADataset', source=city('source', True), target=city('target', False),
                rare_class_sampling=dict(stats_file=str(stats), **rcs))


def test_tool_counts_the_label_files_and_uda_dataset_samples_with_it(synthetic, tmp_path):
    config = tmp_path / 'rcs.py'
    out = tmp_path / 'label_stats.json'
    train = dict(type='UDADataset', source=uda_cfg(synthetic, out)['source'],
                 target=uda_cfg(synthetic, out)['target'])
    config.write_text(f'default_scope = "mmseg"\ntrain_dataloader = dict(dataset={train!r})\n')
    run_tool([sys.executable, 'tools/compute_label_stats.py', str(config), '--out', str(out)],
             Path(REPO))
    stats = json.loads(out.read_text())
    labels = sorted((synthetic / 'source' / 'gtFine' / 'train').rglob('*.png'))
    assert stats['num_images'] == len(labels) == 4
    for path in labels:
        label = np.asarray(Image.open(path))
        want = np.bincount(label.ravel(), minlength=256)[:19].tolist()
        assert stats['images'][path.name]['pixels'] == want
    assert stats['class_pixels'] == np.sum(
        [stats['images'][p.name]['pixels'] for p in labels], axis=0).tolist()

    dataset = DATASETS.build(uda_cfg(synthetic, out, class_temp=0.01, min_pixels=10,
                                     min_crop_ratio=0.5))
    sampler = dataset.rare_class_sampler
    assert sampler is not None and set(sampler.classes) == {
        c for c, n in enumerate(stats['class_pixels']) if n > 0}
    loads = []
    original = type(dataset.source).__getitem__

    def counting(self, idx):
        loads.append(idx)
        return original(self, idx)

    type(dataset.source).__getitem__ = counting
    try:
        c = sampler.classes[-1]  # the most frequent class: the first crop suffices
        sampler.draw = lambda: (c, 0)
        item = dataset[UDAIndex(3, with_target=False)]  # the index is not the sample's
        label = item['source']['data_samples'].gt_sem_seg.data.numpy()
        assert loads == [0] * len(loads) and 1 <= len(loads) <= CROP_TRIES + 1
        assert (label == c).sum() > 10 * 0.5 or len(loads) == CROP_TRIES + 1
        assert 'target' not in item
        loads.clear()
        sampler.min_crop_ratio = 1e9  # never enough: DAFormer's 10 re-draws, the last kept
        dataset[UDAIndex(3, with_target=False)]
        assert loads == [0] * (CROP_TRIES + 1)
        loads.clear()
        item = dataset[3]
        assert loads[:CROP_TRIES + 1] == [0] * (CROP_TRIES + 1) and 'target' in item
    finally:
        type(dataset.source).__getitem__ = original


def test_uda_dataset_refuses_bad_rcs_options(synthetic, tmp_path):
    stats = write_stats(tmp_path / 'stats.json', {'x.png': [1, 2, 3, 4]})
    with pytest.raises(ValueError, match='rare_class_sampling takes'):
        DATASETS.build(dict(uda_cfg(synthetic, stats), rare_class_sampling=dict(temp=1)))
    with pytest.raises(ValueError, match='counts the classes'):
        DATASETS.build(uda_cfg(synthetic, stats))
