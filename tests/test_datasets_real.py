"""Real UDA benchmarks: dataset classes, label converters, dataset configs, subset metric, RobotCar
mapping, and the real CamVid day -> dusk data end to end (skipped when it is absent)."""
import json
import os
import os.path as osp
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from PIL import Image

import mmseg_uda.evaluation  # noqa: F401  (registers ClassSubsetIoUMetric)
from mmseg.registry import DATASETS, METRICS
from mmseg.structures import SegDataSample
from mmseg_uda.datasets import (SYNTHIA_CLASSES_13, SYNTHIA_CLASSES_16,
                                CityscapesAsRobotCarDataset, OxfordRobotCarDataset,
                                cityscapes_to_robotcar)
from mmseg_uda.datasets import convert
from mmseg_uda.datasets.convert import GTA5, SYNTHIA, UnknownLabelIdWarning, convert_labels
from mmseg_uda.utils import segmentor_cfg
from tests.conftest import REPO, SHARED_DATA

CAMVID = osp.join(SHARED_DATA, 'camvid_daydusk')
needs_camvid = pytest.mark.skipif(not osp.isdir(CAMVID),
                                  reason=f'real CamVid day/dusk data not found at {CAMVID}')

# Expected Cityscapes train id of every Cityscapes label id 0..33 (cityscapesscripts labels.py),
# written out independently of mmseg_uda.datasets.convert.
GTA_EXPECTED = [255] * 7 + [0, 1, 255, 255, 2, 3, 4, 255, 255, 255, 5, 255, 6, 7, 8, 9, 10, 11,
                            12, 13, 14, 15, 255, 255, 16, 17, 18]
# Expected train id of every SYNTHIA-RAND-CITYSCAPES class id 0..22 (its README.txt).
SYNTHIA_EXPECTED = [255, 10, 2, 0, 1, 4, 8, 5, 13, 7, 11, 18, 17, 255, 255, 6, 9, 12, 14, 15, 16,
                    3, 255]


def write_image(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)


def write_gta_label(path: Path, ids: np.ndarray) -> None:
    """A palette PNG like GTA5's: the indices are Cityscapes label ids."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(ids.astype(np.uint8), mode='P')
    img.putpalette(list(np.random.default_rng(0).integers(0, 256, 768, dtype=np.uint8)))
    img.save(path)


def write_synthia_label(path: Path, ids: np.ndarray) -> None:
    """A 16-bit 3-channel PNG like SYNTHIA's: class id in R, instance id in G (BGR on disk)."""
    instance = np.arange(ids.size, dtype=np.uint16).reshape(ids.shape) + 7
    bgr = np.stack([np.full_like(ids, 999), instance, ids], axis=-1).astype(np.uint16)
    write_image(path, bgr)


def rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def train_ids(h: int, w: int, num_classes: int = 19, seed: int = 0) -> np.ndarray:
    label = np.random.default_rng(seed).integers(0, num_classes, (h, w)).astype(np.uint8)
    label[0, 0] = 255
    return label


# --------------------------------------------------------------------------- fake data trees


def make_gta(root: Path, n: int = 3) -> None:
    """GTA5 layout with raw labels (all label ids), converted by the real converter."""
    for i in range(1, n + 1):
        write_image(root / 'images' / f'{i:05d}.png', rgb(26, 48, i))
        write_gta_label(root / 'labels' / f'{i:05d}.png',
                        np.resize(np.arange(34, dtype=np.uint8), (26, 48)))
    convert_labels(GTA5, str(root / 'labels'))


def make_synthia(root: Path, n: int = 2) -> None:
    for i in range(n):
        write_image(root / 'RGB' / f'{i:07d}.png', rgb(19, 32, i))
        write_synthia_label(root / 'GT' / 'LABELS' / f'{i:07d}.png',
                            np.resize(np.arange(23, dtype=np.uint16), (19, 32)))
    convert_labels(SYNTHIA, str(root / 'GT' / 'LABELS'))


def make_cityscapes(root: Path) -> None:
    """2 train images (2 cities), 2 val images (1 city), labels as train ids."""
    for split, cities in (('train', ('aachen', 'bremen')), ('val', ('frankfurt', 'frankfurt'))):
        for i, city in enumerate(cities):
            stem = f'{city}_{i:06d}_000019'
            write_image(root / 'leftImg8bit' / split / city / f'{stem}_leftImg8bit.png',
                        rgb(16, 32, i))
            write_image(root / 'gtFine' / split / city / f'{stem}_gtFine_labelTrainIds.png',
                        train_ids(16, 32, seed=i))


def make_robotcar(root: Path) -> None:
    for split, n in (('train', 3), ('val', 2)):
        for i in range(n):
            write_image(root / 'images' / split / f'{i:04d}.png', rgb(24, 32, i))
            if split == 'val':
                write_image(root / 'labels' / split / f'{i:04d}.png', train_ids(24, 32, 9, i))


def make_camvid(root: Path) -> None:
    splits = (('source', 'train', 4), ('source', 'val', 2), ('target', 'train', 3),
              ('target', 'test', 2))
    for domain, split, n in splits:
        for i in range(n):
            write_image(root / domain / 'img' / split / f'seq_{i:05d}.png', rgb(18, 24, i))
            write_image(root / domain / 'ann' / split / f'seq_{i:05d}.png',
                        train_ids(18, 24, 11, i))


@pytest.fixture(scope='module')
def fake_roots(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """Config data_root -> a tiny fake tree in that dataset's real layout."""
    base = tmp_path_factory.mktemp('real_layouts')
    makers = {'data/gta': make_gta, 'data/synthia': make_synthia,
              'data/cityscapes': make_cityscapes, 'data/robotcar': make_robotcar,
              'data/camvid_daydusk': make_camvid}
    roots = {}
    for key, make in makers.items():
        root = base / key.split('/')[-1]
        make(root)
        roots[key] = str(root)
    return roots


def redirect_roots(node, roots: Dict[str, str]) -> None:
    """Replace every ``data_root`` found in a config (sub)tree through ``roots``."""
    if isinstance(node, dict):
        if node.get('data_root') in roots:
            node['data_root'] = roots[node['data_root']]
        for value in node.values():
            redirect_roots(value, roots)
    elif isinstance(node, (list, tuple)):
        for value in node:
            redirect_roots(value, roots)


def load_dataset_cfg(name: str, roots: Dict[str, str]) -> Config:
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', name + '.py'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'source_train',
                'target_train', 'source_val'):
        if key in cfg:
            redirect_roots(cfg[key], roots)
    return cfg


# (config, source length, source image shape, target image shape, val length, val image shape,
#  val label shape)
DATASET_CONFIGS = [
    ('gta_to_cityscapes', 3, (720, 1280), (512, 1024), 2, (512, 1024), (16, 32)),
    ('gta_to_cityscapes_512x512', 3, (512, 512), (512, 512), 2, (512, 1024), (16, 32)),
    ('synthia_to_cityscapes', 2, (760, 1280), (512, 1024), 2, (512, 1024), (16, 32)),
    ('cityscapes_crosscity', 2, (512, 1024), (512, 1024), 2, (512, 1024), (16, 32)),
    ('cityscapes_to_robotcar', 2, (512, 1024), (768, 1024), 2, (768, 1024), (24, 32)),
    ('camvid_day_to_dusk', 4, (18, 24), (18, 24), 2, (18, 24), (18, 24)),
]


@pytest.mark.parametrize('name,n_src,src_shape,tgt_shape,n_val,val_shape,val_label',
                         DATASET_CONFIGS, ids=[c[0] for c in DATASET_CONFIGS])
def test_dataset_config_builds(fake_roots, name, n_src, src_shape, tgt_shape, n_val, val_shape,
                               val_label) -> None:
    cfg = load_dataset_cfg(name, fake_roots)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(train) == n_src
    item = train[0]
    source, target = item['source']['data_samples'], item['target']['data_samples']
    assert tuple(item['source']['inputs'].shape[1:]) == src_shape
    assert tuple(source.gt_sem_seg.data.shape[1:]) == src_shape
    assert tuple(item['target']['inputs'].shape[1:]) == tgt_shape
    assert 'gt_sem_seg' not in target
    num_classes = len(train.metainfo['classes'])
    assert set(source.gt_sem_seg.data.unique().tolist()) <= set(range(num_classes)) | {255}

    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(val) == n_val and val.metainfo['classes'] == train.metainfo['classes']
    sample = val[0]
    assert tuple(sample['inputs'].shape[1:]) == val_shape
    assert tuple(sample['data_samples'].gt_sem_seg.data.shape[1:]) == val_label
    assert sample['data_samples'].ori_shape == val_label
    assert cfg.val_evaluator.type in ('IoUMetric', 'ClassSubsetIoUMetric')


def test_source_only_configs_train_on_the_source_dataset(fake_roots) -> None:
    """Their training set is the labelled source set alone (no target pairing)."""
    for path, source_type in (('source_only/gta2cs_deeplabv2_r101_1xb1.py', 'GTA5Dataset'),
                              ('source_only/camvid_day2dusk_tiny.py', 'CamVidDataset')):
        cfg = Config.fromfile(osp.join(REPO, 'configs', path))
        redirect_roots(cfg.train_dataloader, fake_roots)
        train = DATASETS.build(cfg.train_dataloader.dataset)
        assert type(train).__name__ == source_type, path
        item = train[0]
        assert set(item) == {'inputs', 'data_samples'}, path
        label = item['data_samples'].gt_sem_seg.data
        assert label.shape[1:] == item['inputs'].shape[1:], path
        assert set(label.unique().tolist()) <= set(range(len(train.metainfo['classes']))) | {255}


def test_full_configs_model_settings() -> None:
    def load(path: str) -> Config:
        return Config.fromfile(osp.join(REPO, 'configs', path))

    for path in ('source_only/camvid_day2dusk_tiny.py', 'output_space/camvid_day2dusk_tiny.py'):
        seg = segmentor_cfg(load(path).model)
        assert seg.decode_head.num_classes == seg.auxiliary_head.num_classes == 11, path
    single = load('output_space/gta2cs_deeplabv2_r101_1xb1.py').model
    assert single.adaptations.output.levels == ('logits', )
    assert single.adaptations.output.loss_weights == (0.001, )
    multi = load('output_space/gta2cs_deeplabv2_r101_multilevel_1xb1.py').model
    assert multi.adaptations.output.levels == ('logits', 'aux_logits')
    assert multi.adaptations.output.loss_weights == (0.001, 0.0002)
    assert multi.segmentor.auxiliary_head.num_classes == 19
    synthia = load('output_space/synthia2cs_deeplabv2_r101_1xb1.py')
    assert synthia.model.segmentor.decode_head.num_classes == 19
    assert synthia.val_evaluator.type == 'ClassSubsetIoUMetric'
    assert load('output_space/cs2robotcar_deeplabv2_r101_1xb1.py').model.segmentor.decode_head \
        .num_classes == 9


def test_synthia_evaluator_uses_the_paper_class_sets() -> None:
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/synthia_to_cityscapes.py'))
    ev = cfg.val_evaluator
    assert tuple(ev.eval_classes) == SYNTHIA_CLASSES_16
    assert tuple(ev.subsets['mIoU16']) == SYNTHIA_CLASSES_16
    assert tuple(ev.subsets['mIoU13']) == SYNTHIA_CLASSES_13
    assert len(SYNTHIA_CLASSES_16) == 16 and len(SYNTHIA_CLASSES_13) == 13
    assert METRICS.build(ev).subsets['mIoU13'] == SYNTHIA_CLASSES_13


# --------------------------------------------------------------------------- bad input


def gta_cfg(root: Path, **prefix) -> dict:
    return dict(type='GTA5Dataset', data_root=str(root),
                data_prefix=dict(img_path='images', seg_map_path='labels', **prefix))


def test_missing_data_root_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"GTA5Dataset: image folder .*nowhere.*images"):
        DATASETS.build(gta_cfg(tmp_path / 'nowhere'))


def test_empty_split_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / 'images').mkdir()
    with pytest.raises(ValueError, match=r"no images ending in '\.png' in .*images"):
        DATASETS.build(gta_cfg(tmp_path))


def test_image_without_label_names_both_files(tmp_path: Path) -> None:
    write_image(tmp_path / 'images' / '00007.png', rgb(4, 4))
    (tmp_path / 'labels').mkdir()
    with pytest.raises(FileNotFoundError,
                       match=r"00007\.png' has no label: .*00007_labelTrainIds\.png"):
        DATASETS.build(gta_cfg(tmp_path))


# --------------------------------------------------------------------------- converters


def test_gta_converter_maps_every_id_and_warns_on_unknown(tmp_path: Path) -> None:
    ids = np.array([list(range(34)) + [34, 200]], dtype=np.uint8)
    write_gta_label(tmp_path / '00001.png', ids)
    with pytest.warns(UnknownLabelIdWarning, match=r'00001\.png: ids \[34, 200\]'):
        report = convert_labels(GTA5, str(tmp_path))
    out = cv2.imread(str(tmp_path / '00001_labelTrainIds.png'), cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint8 and out.shape == ids.shape
    assert out[0].tolist() == GTA_EXPECTED + [255, 255]
    assert report.converted == 1 and report.files_with_unknown_ids == [str(tmp_path / '00001.png')]


def test_synthia_converter_reads_the_r_channel(tmp_path: Path) -> None:
    ids = np.array([list(range(23)) + [40, 1000]], dtype=np.uint16)
    write_synthia_label(tmp_path / '0000000.png', ids)
    with pytest.warns(UnknownLabelIdWarning, match=r'0000000\.png: ids \[40, 1000\]'):
        convert_labels(SYNTHIA, str(tmp_path))
    out = cv2.imread(str(tmp_path / '0000000_labelTrainIds.png'), cv2.IMREAD_UNCHANGED)
    assert out[0].tolist() == SYNTHIA_EXPECTED + [255, 255]


def test_converter_stats_file(tmp_path: Path) -> None:
    write_gta_label(tmp_path / 'a.png', np.array([[7, 7, 7, 8], [26, 0, 99, 7]], np.uint8))
    write_gta_label(tmp_path / 'b.png', np.full((3, 2), 26, np.uint8))
    with pytest.warns(UnknownLabelIdWarning):
        report = convert_labels(GTA5, str(tmp_path))
    with open(report.stats_file) as f:
        stats = json.load(f)
    assert report.stats_file == str(tmp_path / 'label_stats.json')
    assert stats['dataset'] == 'gta5' and stats['num_images'] == 2 and len(stats['classes']) == 19
    a, b = stats['images']['a_labelTrainIds.png'], stats['images']['b_labelTrainIds.png']
    assert (a['height'], a['width'], b['height'], b['width']) == (2, 4, 3, 2)
    assert a['pixels'][0] == 4 and a['pixels'][1] == 1 and a['pixels'][13] == 1
    assert sum(a['pixels']) == 6 and a['unknown_ids'] == {'99': 1}
    assert b['pixels'][13] == 6 and sum(b['pixels']) == 6 and 'unknown_ids' not in b
    assert stats['class_pixels'][13] == 7 and stats['class_pixels'][0] == 4
    assert stats['class_images'][13] == 2 and stats['class_images'][0] == 1
    assert stats['class_images'][5] == 0


def test_converter_rerun_is_idempotent(tmp_path: Path) -> None:
    for name in ('a', 'b'):
        write_gta_label(tmp_path / f'{name}.png', np.full((4, 4), 7, np.uint8))
    first = convert_labels(GTA5, str(tmp_path))
    out_a = tmp_path / 'a_labelTrainIds.png'
    assert stat.S_IMODE(out_a.stat().st_mode) == convert.new_file_mode()
    mtime = out_a.stat().st_mtime_ns
    stats = (tmp_path / 'label_stats.json').read_text()

    second = convert_labels(GTA5, str(tmp_path))
    assert (first.converted, first.skipped, second.converted, second.skipped) == (2, 0, 0, 2)
    assert out_a.stat().st_mtime_ns == mtime
    assert (tmp_path / 'label_stats.json').read_text() == stats

    # A changed source is converted again; a lost stats file is rebuilt from the outputs.
    write_gta_label(tmp_path / 'b.png', np.full((4, 4), 8, np.uint8))
    later = out_a.stat().st_mtime + 10
    os.utime(tmp_path / 'b.png', (later, later))
    (tmp_path / 'label_stats.json').unlink()
    third = convert_labels(GTA5, str(tmp_path))
    assert (third.converted, third.skipped) == (1, 1)
    images = json.loads((tmp_path / 'label_stats.json').read_text())['images']
    assert images['a_labelTrainIds.png']['pixels'][0] == 16
    assert images['b_labelTrainIds.png']['pixels'][1] == 16


def test_converter_never_leaves_partial_output(tmp_path: Path, monkeypatch) -> None:
    write_gta_label(tmp_path / 'a.png', np.full((4, 4), 7, np.uint8))

    def failing_replace(src, dst):
        raise OSError('disk full')

    monkeypatch.setattr(convert.os, 'replace', failing_replace)
    with pytest.raises(OSError, match='disk full'):
        convert_labels(GTA5, str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ['a.png']  # no output, no temporary file


def test_converter_bad_inputs_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match='missing'):
        convert_labels(GTA5, str(tmp_path / 'missing'))
    write_image(tmp_path / 'rgb' / 'x.png', rgb(4, 4))
    with pytest.raises(ValueError, match=r"x\.png: expected a palette .* got PIL mode 'RGB'"):
        convert_labels(GTA5, str(tmp_path / 'rgb'))
    write_image(tmp_path / 'grey' / 'y.png', np.zeros((4, 4), np.uint16))
    with pytest.raises(ValueError, match=r'y\.png: expected a 3-channel SYNTHIA label'):
        convert_labels(SYNTHIA, str(tmp_path / 'grey'))


@pytest.mark.parametrize('nproc', [1, 2])
def test_truncated_gta_label_names_the_file(tmp_path: Path, nproc: int) -> None:
    """PIL's 'image file is truncated' named no file, also from the worker pool (review 2e)."""
    ids = np.random.default_rng(0).integers(0, 34, (64, 64))
    for i in range(2):
        write_gta_label(tmp_path / f'{i:05d}.png', ids)
    bad = tmp_path / '00001.png'
    bad.write_bytes(bad.read_bytes()[:2000])  # PIL opens it, then fails to decode the data
    with pytest.raises(ValueError, match=rf'{bad}: PIL cannot decode this label file'):
        convert_labels(GTA5, str(tmp_path), nproc=nproc)


def test_gta_converter_command_line(tmp_path: Path) -> None:
    for i in range(3):
        write_gta_label(tmp_path / 'gta' / 'labels' / f'{i:05d}.png', np.full((8, 8), 24, np.uint8))
    cmd = [sys.executable, str(Path(REPO) / 'tools' / 'dataset_converters' / 'gta.py'),
           str(tmp_path / 'gta'), '--nproc', '2', '--out-dir', str(tmp_path / 'out')]
    proc = subprocess.run(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout
    assert 'gta5: converted 3, kept 0 up-to-date' in proc.stdout
    assert sorted(os.listdir(tmp_path / 'out')) == [
        '00000_labelTrainIds.png', '00001_labelTrainIds.png', '00002_labelTrainIds.png',
        'label_stats.json']


# --------------------------------------------------------------------------- subset metric


def sample(gt: List[int], pred: List[int]) -> dict:
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=torch.tensor([[gt]]))
    s.pred_sem_seg = PixelData(data=torch.tensor([[pred]]))
    return s.to_dict()


def test_class_subset_metric_on_hand_made_predictions() -> None:
    metric = METRICS.build(dict(type='ClassSubsetIoUMetric', eval_classes=['a', 'b', 'c'],
                                subsets=dict(mIoU3=['a', 'b', 'c'], mIoU_ac=['a', 'c'])))
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    # Image 1: ground truth a a b b c c d d (d plays terrain: absent from the source).
    metric.process({}, [sample([0, 0, 1, 1, 2, 2, 3, 3], [0, 1, 1, 1, 2, 0, 0, 3])])
    # Image 2: ignore pixel, c predicted as d (a miss of c).
    metric.process({}, [sample([255, 2, 1], [0, 3, 1])])
    result = metric.compute_metrics(metric.results)
    # All 4 classes (IoUMetric): a 1/(2+3-1), b 3/(3+4-3), c 1/(3+1-1), d 1/(2+2-1).
    assert result['mIoU'] == pytest.approx(np.round(np.mean([1 / 4, 3 / 4, 1 / 3, 1 / 3]) * 100, 2))
    # Ground truth d ignored: a's prediction on the d pixel no longer counts.
    # a 1/(2+2-1), b 3/(3+4-3), c 1/(3+1-1).
    assert result['mIoU3'] == pytest.approx(round((1 / 3 + 3 / 4 + 1 / 3) / 3 * 100, 2))
    assert result['mIoU_ac'] == pytest.approx(round((1 / 3 + 1 / 3) / 2 * 100, 2))


def test_class_subset_metric_rejects_bad_class_names() -> None:
    with pytest.raises(ValueError, match=r"subsets\['s'\] has classes \['x'\]"):
        METRICS.build(dict(type='ClassSubsetIoUMetric', eval_classes=['a'], subsets=dict(s=['x'])))
    metric = METRICS.build(dict(type='ClassSubsetIoUMetric', subsets=dict(s=['a', 'zebra'])))
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process({}, [sample([0, 1], [0, 1])])
    with pytest.raises(KeyError, match=r"subsets\['s'\] names classes \['zebra'\]"):
        metric.compute_metrics(metric.results)


# --------------------------------------------------------------------------- RobotCar mapping


def test_cityscapes_to_robotcar_mapping() -> None:
    expected = [0, 1, 2, 255, 255, 255, 3, 4, 255, 255, 5, 6, 6, 7, 7, 7, 255, 8, 8, 255]
    mapped = cityscapes_to_robotcar(np.array(list(range(19)) + [255]))
    assert mapped.dtype == np.uint8 and mapped.tolist() == expected
    with pytest.raises(ValueError, match=r'values \[19, 254\]'):
        cityscapes_to_robotcar(np.array([0, 19, 254]))


def test_cityscapes_labels_load_in_robotcar_space(fake_roots) -> None:
    root = fake_roots['data/cityscapes']
    ds = DATASETS.build(dict(
        type='CityscapesAsRobotCarDataset', data_root=root,
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=[dict(type='LoadAnnotations')]))
    assert ds.metainfo['classes'] == OxfordRobotCarDataset.METAINFO['classes']
    assert ds.metainfo['palette'] == OxfordRobotCarDataset.METAINFO['palette']
    info = ds[0]
    raw = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    assert np.array_equal(info['gt_seg_map'], cityscapes_to_robotcar(raw))
    with pytest.raises(ValueError, match='metainfo classes must be'):
        CityscapesAsRobotCarDataset(data_root=root, metainfo=dict(classes=('road', )),
                                    lazy_init=True)


# --------------------------------------------------------------------------- real CamVid data


@needs_camvid
def test_real_camvid_through_the_config() -> None:
    relative = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/camvid_day_to_dusk.py')).data_root
    assert osp.realpath(osp.join(REPO, relative)) == osp.realpath(CAMVID)
    cfg = load_dataset_cfg('camvid_day_to_dusk', {relative: CAMVID})  # as seen from the repo root
    train = DATASETS.build(cfg.train_dataloader.dataset)
    test = DATASETS.build(cfg.val_dataloader.dataset)
    source_val = DATASETS.build(cfg.source_val)
    assert (len(train.source), len(train.target), len(test), len(source_val)) == (406, 62, 62, 171)
    assert len(train.metainfo['classes']) == 11
    item = train[5]
    assert tuple(item['source']['inputs'].shape) == (3, 180, 240)
    assert 'gt_sem_seg' not in item['target']['data_samples']
    seen = set()
    for i in range(0, 62, 6):
        values = set(test[i]['data_samples'].gt_sem_seg.data.unique().tolist())
        assert values <= set(range(11)) | {255}, test[i]['data_samples'].img_path
        seen |= values
    assert len(seen - {255}) >= 9  # the dusk test frames show nearly every class


TRAIN_RUNS = {
    'source_only': ['train_dataloader.dataset.data_root={root}'],
    'output_space': ['train_dataloader.dataset.source.data_root={root}',
                     'train_dataloader.dataset.target.data_root={root}', 'model.warmup_iters=0'],
}


@needs_camvid
@pytest.mark.parametrize('method', sorted(TRAIN_RUNS))
def test_real_camvid_training_runs(method: str, tmp_path: Path) -> None:
    """tools/train.py on the real data: 2 iterations, batch 2, then the dusk test evaluation."""
    options = [opt.format(root=CAMVID) for opt in TRAIN_RUNS[method]]
    options += [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader')
                for key in ('num_workers=0', 'persistent_workers=False')]
    options += ['val_dataloader.dataset.data_root=' + CAMVID, 'train_dataloader.batch_size=2',
                'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                'default_hooks.logger.interval=1']
    cmd = [sys.executable, str(Path(REPO) / 'tools' / 'train.py'),
           str(Path(REPO) / 'configs' / method / 'camvid_day2dusk_tiny.py'),
           '--work-dir', str(tmp_path / 'work'), '--cfg-options', *options]
    proc = subprocess.run(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300, env={**os.environ, 'CUDA_VISIBLE_DEVICES': ''})
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert 'Iter(train) [2/2]' in proc.stdout
    if method == 'output_space':
        assert 'adv.' in proc.stdout and 'disc.' in proc.stdout  # adaptation losses were logged
    assert 'Iter(val) [62/62]' in proc.stdout and 'mIoU' in proc.stdout
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
