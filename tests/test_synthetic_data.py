"""Tests of the built-in synthetic source/target data generator."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.datasets import CityscapesDataset

from mmseg_uda.datasets.synthetic import SYNTHETIC_CLASSES, generate_synthetic_uda_data

SMALL = dict(num_train=8, num_val=3, width=128, height=64, seed=3)


def _files(root: str) -> list:
    """Relative paths of all files below ``root``, sorted."""
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def _read(path: str, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Read an image, failing loudly on a missing file."""
    img = cv2.imread(path, flags)
    assert img is not None, path
    return img


@pytest.fixture(scope='module')
def data(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One small generated dataset shared by the read-only tests."""
    return generate_synthetic_uda_data(str(tmp_path_factory.mktemp('synthetic')), **SMALL)


def test_layout_and_counts(data: dict) -> None:
    assert data['generated'] and data['num_files'] == 2 * 2 * (8 + 3)
    for root in (data['source_root'], data['target_root']):
        for split, n in (('train', 8), ('val', 3)):
            imgs = sorted(os.listdir(osp.join(root, 'leftImg8bit', split, 'synth')))
            segs = sorted(os.listdir(osp.join(root, 'gtFine', split, 'synth')))
            assert imgs == [f'{i:05d}_leftImg8bit.png' for i in range(n)]
            assert segs == [f'{i:05d}_gtFine_labelTrainIds.png' for i in range(n)]
    img = _read(osp.join(data['target_root'], 'leftImg8bit/val/synth/00002_leftImg8bit.png'))
    seg = _read(osp.join(data['target_root'], 'gtFine/val/synth/00002_gtFine_labelTrainIds.png'))
    assert img.shape == (64, 128, 3) and img.dtype == np.uint8
    assert seg.shape == (64, 128) and seg.dtype == np.uint8
    with open(data['meta']) as f:
        meta = json.load(f)
    assert {k: meta[k] for k in SMALL} == SMALL and meta['layout_shift'] is False


def test_label_values(data: dict) -> None:
    def values(root: str) -> set:
        label_dir = osp.join(root, 'gtFine', 'train', 'synth')
        return set().union(*(np.unique(_read(osp.join(label_dir, n))).tolist()
                             for n in os.listdir(label_dir)))

    source, target = values(data['source_root']), values(data['target_root'])
    assert source | target <= set(SYNTHETIC_CLASSES) | {255}
    assert set(SYNTHETIC_CLASSES) <= source


def test_determinism(data: dict, tmp_path) -> None:
    again = generate_synthetic_uda_data(str(tmp_path / 'same'), **SMALL)
    root = osp.dirname(data['meta'])
    names = _files(root)
    assert names == _files(osp.dirname(again['meta']))
    for name in names:
        with open(osp.join(root, name), 'rb') as a, open(tmp_path / 'same' / name, 'rb') as b:
            assert a.read() == b.read(), name
    other = generate_synthetic_uda_data(str(tmp_path / 'other'), **dict(SMALL, seed=4))
    name = 'leftImg8bit/train/synth/00000_leftImg8bit.png'
    for key in ('source_root', 'target_root'):
        assert not np.array_equal(_read(osp.join(data[key], name)),
                                  _read(osp.join(other[key], name)))


def test_domain_shift_in_colour_statistics(data: dict) -> None:
    def stats(root: str) -> np.ndarray:
        img_dir = osp.join(root, 'leftImg8bit', 'train', 'synth')
        imgs = np.stack([_read(osp.join(img_dir, n)) for n in sorted(os.listdir(img_dir))])
        pixels = imgs.reshape(-1, 3).astype(np.float64)
        return np.concatenate([pixels.mean(0), pixels.std(0)])

    src, tgt = stats(data['source_root']), stats(data['target_root'])
    assert np.abs(src[:3] - tgt[:3]).max() > 20  # mean colour (lighting, cast, palette)
    assert (tgt[3:] < src[3:]).all()  # lower contrast


def test_layout_shift_only_changes_target_layout(data: dict, tmp_path) -> None:
    shifted = generate_synthetic_uda_data(str(tmp_path), **SMALL, layout_shift=True)

    def labels(root: str) -> list:
        label_dir = osp.join(root, 'gtFine', 'train', 'synth')
        return [_read(osp.join(label_dir, n)) for n in sorted(os.listdir(label_dir))]

    def road_and_car_fraction(root: str) -> float:
        return float(np.mean([np.isin(label, (0, 13)).mean() for label in labels(root)]))

    for a, b in zip(labels(data['source_root']), labels(shifted['source_root'])):
        assert np.array_equal(a, b)
    # Wider road, higher horizon and more cars in the shifted target.
    assert road_and_car_fraction(shifted['target_root']) > (
        road_and_car_fraction(data['target_root']) + 0.08)


def test_idempotent_rerun_does_not_rewrite(tmp_path) -> None:
    out = str(tmp_path / 'data')
    generate_synthetic_uda_data(out, **SMALL)
    mtimes = {n: os.stat(osp.join(out, n)).st_mtime_ns for n in _files(out)}
    assert generate_synthetic_uda_data(out, **SMALL)['generated'] is False
    assert mtimes == {n: os.stat(osp.join(out, n)).st_mtime_ns for n in _files(out)}
    missing = osp.join(out, 'target/gtFine/val/synth/00001_gtFine_labelTrainIds.png')
    os.remove(missing)
    assert generate_synthetic_uda_data(out, **SMALL)['generated'] is True
    assert osp.isfile(missing)


def test_conflicting_parameters(tmp_path) -> None:
    out = str(tmp_path / 'data')
    generate_synthetic_uda_data(out, **SMALL)
    with pytest.raises(ValueError, match=r'num_val.*seed'):
        generate_synthetic_uda_data(out, **dict(SMALL, num_val=1, seed=5))
    info = generate_synthetic_uda_data(out, **dict(SMALL, num_val=1, seed=5), overwrite=True)
    assert info['generated'] is True
    assert os.listdir(osp.join(out, 'source/leftImg8bit/val/synth')) == ['00000_leftImg8bit.png']


@pytest.mark.parametrize('key,value', [('width', 10), ('num_train', 0), ('seed', -1)])
def test_invalid_parameters(tmp_path, key: str, value: int) -> None:
    with pytest.raises(ValueError, match=key):
        generate_synthetic_uda_data(str(tmp_path), **dict(SMALL, **{key: value}))


def test_loads_with_mmseg_cityscapes_dataset(data: dict) -> None:
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')]
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = CityscapesDataset(
            data_root=data['source_root'], pipeline=pipeline,
            data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'))
        sample = dataset[0]
    assert len(dataset) == SMALL['num_train']
    gt = sample['data_samples'].gt_sem_seg.data
    assert tuple(gt.shape[-2:]) == (SMALL['height'], SMALL['width'])
    assert tuple(sample['inputs'].shape) == (3, SMALL['height'], SMALL['width'])
    assert set(gt.unique().tolist()) <= set(SYNTHETIC_CLASSES)
