"""The offline label tools' label path (mmseg_uda.source_labels): the same label maps, modes and
class statistics as the full training pipeline, without decoding an image."""
import importlib.util
import json
import os.path as osp
import shutil
from pathlib import Path
from typing import List

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.label_values import invalid_label_values
from mmseg_uda.source_labels import SourceLabelMaps, label_path_steps
from tests.conftest import REPO

#: Like the GTA5 512x512 source pipeline (resize, random crop re-drawn above 75 % of one class,
#: flip), plus a photometric distortion whose random draws come between two samples' crops.
GTA_LIKE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='Resize', scale=(160, 80), keep_ratio=False),
    dict(type='RandomCrop', crop_size=(48, 64), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
#: MMSeg's Cityscapes training augmentation (random rescale keeping the ratio).
CITYSCAPES_LIKE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='RandomResize', scale=(128, 64), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(32, 48), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Normalize', mean=[0, 0, 0], std=[1, 1, 1]),
    dict(type='PackSegInputs'),
]


def load_tool(name: str):
    """Import ``tools/<name>.py`` as a module (its ``main(argv)`` runs in this process)."""
    spec = importlib.util.spec_from_file_location(f'tool_{name}', osp.join(REPO, 'tools',
                                                                            f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def data(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return generate_synthetic_uda_data(str(tmp_path_factory.mktemp('source_labels')),
                                       num_train=8, num_val=1, width=128, height=64)


def write_config(folder: Path, data: dict, pipeline: list) -> Path:
    """The demo config with a PatchAlignment (K=4, 16x16 patches) and a CategoryAdaptation
    reading the synthetic data through ``pipeline``."""
    config = folder / 'labels.py'
    config.write_text(f"""_base_ = [{osp.join(REPO, 'configs/demo/output_space_synthetic.py')!r}]
model = dict(adaptations=dict(
    patch=dict(type='PatchAlignment', modes_file='unused.pth', patch_size=16, num_modes=4),
    ca=dict(type='CategoryAdaptation', stats_file='unused.json')))
train_dataloader = dict(dataset=dict(
    source=dict(data_root={data['source_root']!r}, pipeline={pipeline!r}),
    target=dict(data_root={data['target_root']!r})))
""")
    return config


def label_maps(config: Path, full_pipeline: bool, num_workers: int = 2) -> List[torch.Tensor]:
    source = SourceLabelMaps(Config.fromfile(str(config)), batch_size=2,
                             num_workers=num_workers, shuffle=True, seed=5, progress=False,
                             full_pipeline=full_pipeline)
    return [label for batch in source.batches() for label in batch]


@pytest.mark.parametrize('pipeline', [GTA_LIKE, CITYSCAPES_LIKE], ids=['gta', 'cityscapes'])
def test_label_path_gives_the_full_pipelines_label_maps(data: dict, tmp_path: Path,
                                                        pipeline: list) -> None:
    config = write_config(tmp_path, data, pipeline)
    full, labels = label_maps(config, True), label_maps(config, False)
    assert len(full) == len(labels) == 8
    for a, b in zip(full, labels):
        assert a.shape == b.shape and torch.equal(a, b.to(a.dtype))
    # the random draws matter: without the photometric step's draws the crops differ
    without = write_config(tmp_path, data, [t for t in pipeline
                                            if t['type'] != 'PhotoMetricDistortion'])
    assert any(a.shape != b.shape or not torch.equal(a, b.to(a.dtype))
               for a, b in zip(full, label_maps(without, False)))


def test_tools_write_the_same_files_as_with_the_full_pipeline(data: dict,
                                                              tmp_path: Path) -> None:
    """Issue 12: the modes and class-stats files are IDENTICAL to the full pipeline's."""
    config = write_config(tmp_path, data, GTA_LIKE)
    modes_tool, stats_tool = load_tool('build_patch_modes'), load_tool('compute_class_stats')
    modes, stats = {}, {}
    for mode, extra in (('full', ['--full-pipeline']), ('labels', [])):
        common = ['--num-workers', '2', '--batch-size', '2', *extra]
        modes_tool.main([str(config), '--out', str(tmp_path / f'{mode}.pth'), '--seed', '3',
                         *common])
        modes[mode] = torch.load(tmp_path / f'{mode}.pth', weights_only=True)
        torch.manual_seed(0)  # the unshuffled loader's worker seeds come from torch's RNG
        stats_tool.main([str(config), '--out', str(tmp_path / f'{mode}.json'), *common])
        stats[mode] = json.loads((tmp_path / f'{mode}.json').read_text())
    assert torch.equal(modes['full'].pop('modes'), modes['labels'].pop('modes'))
    assert modes['full'] == modes['labels']
    assert stats['full'] == stats['labels']
    assert stats['labels']['num_images'] == 8 and modes['labels']['k'] == 4


def test_label_path_decodes_no_image(data: dict, tmp_path: Path) -> None:
    """Images cut after their header: the label path reads their size, the full pipeline
    fails to decode them."""
    root = Path(tmp_path / 'source')
    for src in Path(data['source_root']).rglob('*.png'):
        dst = root / src.relative_to(data['source_root'])
        dst.parent.mkdir(parents=True, exist_ok=True)
        content = src.read_bytes()
        dst.write_bytes(content if 'gtFine' in src.parts else content[:64])
    config = write_config(tmp_path, dict(data, source_root=str(root)), GTA_LIKE)
    maps = label_maps(config, False, num_workers=0)
    assert len(maps) == 8 and all(m.shape == (48, 64) for m in maps)
    with pytest.raises(AssertionError, match='failed to load image'):
        label_maps(config, True, num_workers=0)


@pytest.mark.parametrize('pipeline,message', [
    (GTA_LIKE[:3] + [dict(type='RandomRotate', prob=0.5, degree=10)] + GTA_LIKE[3:],
     r'pipeline\[3\] \(RandomRotate\) is not a transform the label path .* --full-pipeline'),
    (GTA_LIKE[:2] + [dict(type='RandomChoiceResize', scales=[(64, 32)], max_size=100,
                          resize_type='ResizeShortestEdge')],
     r'pipeline\[2\] \(RandomChoiceResize of a ResizeShortestEdge\) is not a transform'),
    ([GTA_LIKE[0], dict(type='RandomFlip', prob=0.5), GTA_LIKE[1]],
     r'pipeline\[1\] \(RandomFlip\) comes before the labels are loaded'),
    ([GTA_LIKE[0], GTA_LIKE[5], GTA_LIKE[6]], r'pipeline loads no labels'),
], ids=['unknown', 'unknown-inner-resize', 'before-labels', 'no-labels'])
def test_label_path_refuses_what_it_cannot_reproduce(pipeline: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        label_path_steps(pipeline, 'train_dataloader.dataset.source.pipeline')


def test_photometric_steps_keep_their_draws_and_leave_labels() -> None:
    steps = label_path_steps(CITYSCAPES_LIKE, 'pipeline')
    names = [type(s).__name__ for s in steps]
    assert names == ['ImageSizeFromHeader', 'LoadCheckedAnnotations', 'ImageOfLabelSize',
                     'ResizeWithoutImage', 'RandomCrop', 'RandomFlip', 'RandomDrawsOnly']
    label = np.arange(12, dtype=np.uint8).reshape(3, 4)
    results = steps[-1](dict(gt_seg_map=label))
    assert results['gt_seg_map'] is label


@pytest.mark.parametrize('loader', ['LoadCheckedAnnotations', 'LoadAnnotations'])
def test_out_of_range_label_names_its_file(data: dict, tmp_path: Path, loader: str) -> None:
    """Checked as it loads (LoadCheckedAnnotations) or by the reader (plain LoadAnnotations)."""
    root = tmp_path / 'source'
    shutil.copytree(data['source_root'], root)
    label_path = sorted((root / 'gtFine').rglob('*.png'))[3]
    label = cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)
    label[::4, ::4] = 50  # in every crop
    cv2.imwrite(str(label_path), label)
    pipeline = [dict(t, type=loader) if t['type'] == 'LoadCheckedAnnotations' else t
                for t in GTA_LIKE]
    config = write_config(tmp_path, dict(data, source_root=str(root)), pipeline)
    with pytest.raises(ValueError, match=rf"label file '{label_path}': label values \[50\]"):
        label_maps(config, False, num_workers=0)


def test_dataset_wrapper_needs_the_full_pipeline(data: dict, tmp_path: Path) -> None:
    config = write_config(tmp_path, data, GTA_LIKE)
    cfg = Config.fromfile(str(config))
    cfg.train_dataloader.dataset.source = dict(type='RepeatDataset', times=2,
                                               dataset=cfg.train_dataloader.dataset.source)
    with pytest.raises(ValueError, match=r'source \(RepeatDataset\) has no pipeline of its own'):
        SourceLabelMaps(cfg, num_workers=0)
    source = SourceLabelMaps(cfg, batch_size=4, num_workers=0, progress=False,
                             full_pipeline=True)
    maps = [label for batch in source.batches() for label in batch]
    assert len(maps) == 16 and all(m.shape == (48, 64) for m in maps)


@pytest.mark.parametrize('as_tensor', [False, True], ids=['numpy', 'tensor'])
def test_label_value_policy_alike_for_arrays_and_cpu_tensors(as_tensor: bool) -> None:
    """CPU tensors are checked through numpy (the reader's labels); a negative ignore index is
    not an offending value."""

    def values(rows, ignore_index, dtype=np.int64):
        label = np.array(rows, dtype=dtype)
        return invalid_label_values(torch.from_numpy(label) if as_tensor else label, 19,
                                    ignore_index)

    assert values([[-1, 2, 30]], -1) == [30]
    assert values([[-2, -1, 2]], -1) == [-2]
    assert values([[-1, 2, 19]], 255) == [-1, 19]
    assert values([[255, 3, 40]], 255, np.uint8) == [40]
    assert values([[255, 3]], 255, np.uint8) == []
