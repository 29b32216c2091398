"""Bad data found before (or as) it is used, naming the file, key or value at fault.

One test per row of ../shared/reviews/bad_inputs.md that was a crash or silent about data
(the row ids are in the test names' docstrings), on tiny generated data.
"""
import copy
import os.path as osp
import shutil
import sys
from pathlib import Path
from typing import List

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.class_stats import ClassSizeStats
from mmseg_uda.label_values import check_label_values, invalid_label_values
from mmseg_uda.patch_modes import load_patch_modes, save_patch_modes
from mmseg_uda.source_labels import SourceLabelMaps
from tests.conftest import REPO
from tests.test_launch import run_tool
from tests.test_train_uda import CONFIG

CLASSES = list(CityscapesDataset.METAINFO['classes'])
H, W = 64, 128
CHECKED = dict(type='LoadCheckedAnnotations')
SRC_PIPE = [dict(type='LoadImageFromFile'), CHECKED, dict(type='PackSegInputs')]
TGT_PIPE = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
# the package's evaluation pipelines load the labels after resizing the image
TEST_PIPE = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(64, 32), keep_ratio=True),
             CHECKED, dict(type='PackSegInputs')]
TOOLS = osp.join(REPO, 'tools')
# the end-to-end config of tests/test_train_uda.py, at 2 iterations
SHORT_RUN = """
model = dict(warmup_iters=1)
train_cfg = dict(max_iters=2, val_interval=2)
"""
#: 11 of the 19 Cityscapes classes: a dataset with another class count (MMSeg maps the ids)
ELEVEN = CLASSES[:11]


@pytest.fixture(scope='module')
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('data_checks') / 'data'
    generate_synthetic_uda_data(str(root), num_train=3, num_val=2, width=W, height=H, seed=2)
    return root


@pytest.fixture
def data(pristine: Path, tmp_path: Path) -> Path:
    """A private copy of the synthetic data to damage."""
    return Path(shutil.copytree(pristine, tmp_path / 'data'))


def files(root: Path, domain: str, kind: str, split: str = 'train') -> List[Path]:
    folder = 'gtFine' if kind == 'label' else 'leftImg8bit'
    return sorted((root / domain / folder / split).rglob('*.png'))


def city(root: Path, domain: str, split: str = 'train', pipeline=SRC_PIPE, labels=True,
         **kwargs) -> dict:
    prefix = dict(img_path=f'leftImg8bit/{split}')
    if labels:
        prefix['seg_map_path'] = f'gtFine/{split}'
    return dict(type='CityscapesDataset', data_root=str(root / domain), data_prefix=prefix,
                pipeline=copy.deepcopy(pipeline), **kwargs)


def uda(root: Path, source_pipeline=SRC_PIPE) -> dict:
    return dict(type='UDADataset', source=city(root, 'source', pipeline=source_pipeline),
                target=city(root, 'target', pipeline=TGT_PIPE, labels=False))


def write_label(path: Path, label: np.ndarray) -> None:
    assert cv2.imwrite(str(path), label.astype(np.uint8))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def tiny_config(tmp_path: Path, root: Path) -> Path:
    config = tmp_path / 'tiny.py'
    config.write_text(CONFIG.format(repo=REPO, root=root) + SHORT_RUN)
    return config


def runner_of(config: Path, tmp_path: Path, options: dict = None) -> Runner:
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(options or {})
    cfg.work_dir = str(tmp_path / 'work')
    return Runner.from_cfg(cfg)


# ---------------------------------------------------------------- the one label-value policy
def test_label_value_policy_on_numpy_and_torch() -> None:
    label = np.array([[0, 18, 255], [19, 50, 3]], dtype=np.uint8)
    assert invalid_label_values(label, 19, 255) == [19, 50]
    assert invalid_label_values(torch.from_numpy(label).long(), 19, 255) == [19, 50]
    assert invalid_label_values(np.array([[-1, 2]]), 19, 255) == [-1]
    assert invalid_label_values(label, 51, 255) == []
    with pytest.raises(ValueError, match=r"x\.png: label values \[19, 50\] are neither class ids "
                       r'in \[0, 19\) nor ignore_index=255'):
        check_label_values(label, 19, 255, 'x.png')


def test_checked_loading_decodes_like_mmseg(pristine: Path) -> None:
    """Same arrays as MMSeg's LoadAnnotations, label_map included (metainfo subset)."""
    plain = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
             dict(type='PackSegInputs')]
    for kwargs in ({}, dict(metainfo=dict(classes=ELEVEN))):
        a = DATASETS.build(city(pristine, 'source', pipeline=plain, **kwargs))
        b = DATASETS.build(city(pristine, 'source', **kwargs))
        for i in range(len(a)):
            assert torch.equal(a[i]['data_samples'].gt_sem_seg.data,
                               b[i]['data_samples'].gt_sem_seg.data)


# ---------------------------------------------------------------- label sizes (4a-4e)
def test_one_source_label_of_another_size_names_both_files(data: Path) -> None:
    """4a (torch.stack crash) and 4b/4c (silently resized or padded): in UDADataset."""
    label_path, image_path = files(data, 'source', 'label')[1], files(data, 'source', 'image')[1]
    write_label(label_path, cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)[::2, ::2])
    resized = SRC_PIPE[:2] + [dict(type='Resize', scale=(W, H), keep_ratio=False)] + SRC_PIPE[2:]
    ds = DATASETS.build(uda(data, resized))
    ds[0]
    with pytest.raises(ValueError) as err:
        ds[1]
    message = str(err.value)
    assert str(label_path) in message and str(image_path) in message
    assert '32x64 (HxW)' in message and '64x128 (HxW)' in message


def test_val_label_of_another_size_names_both_files(data: Path) -> None:
    """4e: labels loaded after the image is resized still compare with its original size."""
    label_path = files(data, 'target', 'label', 'val')[0]
    write_label(label_path, np.zeros((H * 2, W * 2)))
    ds = DATASETS.build(city(data, 'target', 'val', pipeline=TEST_PIPE))
    assert ds[1]['data_samples'].gt_sem_seg.data.shape == (1, H, W)  # full resolution kept
    with pytest.raises(ValueError, match=rf"{label_path}' is 128x256 \(HxW\) but its image "):
        ds[0]


def test_half_size_labels_are_refused_by_the_label_tools(data: Path, tmp_path: Path) -> None:
    """4c: build_patch_modes / compute_class_stats read through SourceLabelMaps."""
    for path in files(data, 'source', 'label'):
        write_label(path, cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[::2, ::2])
    source = SourceLabelMaps(Config.fromfile(str(tiny_config(tmp_path, data))), batch_size=2,
                             num_workers=0, progress=False)
    with pytest.raises(ValueError, match=r'_gtFine_labelTrainIds\.png\' is 32x64 \(HxW\) but'):
        next(source.batches())


# ---------------------------------------------------------------- label values (3a-3e)
def test_out_of_range_source_label_names_file_and_value(data: Path) -> None:
    """3a/3c: the loss used to fail with 'Target 50 is out of bounds', naming no file."""
    label_path = files(data, 'source', 'label')[2]
    label = cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)
    label[:4, :4] = 50
    label[4:8, :4] = 255  # ignore is fine
    write_label(label_path, label)
    ds = DATASETS.build(uda(data))
    with pytest.raises(ValueError, match=rf"{label_path}'.*values \[50\].*\[0, 19\)"):
        ds[2]


def test_out_of_range_val_label_is_an_error_in_testing(data: Path, tmp_path: Path) -> None:
    """3b: silently counted before; the hook binds the check of the test set."""
    label_path = files(data, 'target', 'label', 'val')[1]
    label = cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)
    label[0, 0] = 50
    write_label(label_path, label)
    runner = runner_of(tiny_config(tmp_path, data), tmp_path)
    with pytest.raises(ValueError, match=rf"{label_path}'.*values \[50\]"):
        runner.test()


def test_workers_bind_their_own_copy(data: Path) -> None:
    """A plain training set whose workers start before the hook runs checks its labels too."""
    label_path = files(data, 'source', 'label')[0]
    write_label(label_path, np.full((H, W), 40))
    ds = DATASETS.build(city(data, 'source'))
    assert ds.pipeline.transforms[1].num_classes is None  # not bound in this process
    loader = DataLoader(ds, batch_size=1, num_workers=1, collate_fn=lambda x: x)
    with pytest.raises(ValueError, match=rf"{label_path}'.*values \[40\]"):
        list(loader)


# ---------------------------------------------------------------- unreadable files (2a, 2b, 2d)
def test_truncated_label_png_names_the_file(data: Path) -> None:
    """2d: PIL's 'image file is truncated' named no file."""
    label_path = files(data, 'source', 'label')[0]
    truncate(label_path)
    with pytest.raises(ValueError, match=rf"label file '{label_path}' cannot be decoded"):
        DATASETS.build(uda(data))[0]


@pytest.mark.parametrize('domain', ['source', 'target'])
def test_truncated_image_names_the_domain_and_path(data: Path, domain: str) -> None:
    """2a/2b: the error says which domain's sample failed, and its image path."""
    for path in files(data, domain, 'image'):
        truncate(path)
    with pytest.raises(Exception) as err:
        DATASETS.build(uda(data))[0]
    notes = ' '.join(getattr(err.value, '__notes__', []))
    assert f'UDADataset: while loading {domain} sample' in notes
    assert str(data / domain / 'leftImg8bit' / 'train') in notes


# ---------------------------------------------------------------- missing label (1e)
def test_missing_source_label_is_found_at_start_up(data: Path) -> None:
    """1e: stock CityscapesDataset inside UDADataset; found when the sample was drawn."""
    label_path = files(data, 'source', 'label')[2]
    label_path.unlink()
    with pytest.raises(FileNotFoundError, match=rf"has no label: '{label_path}' does not exist"):
        DATASETS.build(uda(data))


# ---------------------------------------------------------------- num_classes (5c, 5d)
@pytest.mark.parametrize('eleven', [
    ('train_dataloader.dataset.source', 'train_dataloader.dataset.target',
     'val_dataloader.dataset'),  # 5d: both domains (and val) at 11 classes
    ('val_dataloader.dataset', ),  # 5c: only the validation set
])
def test_model_classes_vs_the_training_run_datasets(pristine: Path, tmp_path: Path,
                                                    eleven: tuple) -> None:
    """5c/5d through the stock mmengine flow (Runner.from_cfg): a 19-class model on 11-class
    data trained and evaluated silently (IoU rows under the wrong names)."""
    runner = runner_of(tiny_config(tmp_path, pristine), tmp_path,
                       {f'{key}.metainfo': dict(classes=ELEVEN) for key in eleven})
    with pytest.raises(ValueError, match=r'model\.segmentor\.decode_head\.num_classes=19 but '
                       rf'{eleven[0]} \(CityscapesDataset, data_root=.*\) has 11 classes '
                       r"\['road'"):
        runner.train()
    assert not (tmp_path / 'work' / 'iter_1.pth').exists()


def test_model_classes_vs_the_test_set(pristine: Path, tmp_path: Path) -> None:
    """5c: an 11-class test set scored by a 19-class model (IoU rows under the wrong names)."""
    runner = runner_of(tiny_config(tmp_path, pristine), tmp_path,
                       {'test_dataloader.dataset.metainfo': dict(classes=ELEVEN)})
    with pytest.raises(ValueError, match=r'model\.segmentor\.decode_head\.num_classes=19 but '
                       r'test_dataloader\.dataset \(CityscapesDataset, data_root=.*\) has 11 '):
        runner.test()


def test_tools_train_and_test_run_the_checks(pristine: Path, tmp_path: Path) -> None:
    """Correct data trains with tools/train.py and tests with tools/test.py, both running the
    checks from the config; --show-dir draws every image, not 1 in 50 (12c).

    Two runs of the real tools (the slowest test here): the launchers must pick the checks up
    from the package's configs."""
    config = tiny_config(tmp_path, pristine)
    log = run_tool([sys.executable, osp.join(TOOLS, 'train.py'), str(config), '--work-dir',
                    str(tmp_path / 'work')], cwd=tmp_path)
    assert 'DataChecksHook: model.segmentor.decode_head.num_classes=19' in log
    checkpoint = tmp_path / 'work' / 'iter_2.pth'
    assert checkpoint.is_file()
    log = run_tool([sys.executable, osp.join(TOOLS, 'test.py'), str(config), str(checkpoint),
                    '--show-dir', str(tmp_path / 'show'), '--work-dir', str(tmp_path / 'test')],
                   cwd=tmp_path)
    assert "DataChecksHook: model.segmentor.decode_head.num_classes=19, classes of " \
        "['test_dataloader.dataset']" in log
    assert len(list((tmp_path / 'show').rglob('*.png'))) == 2  # both val images drawn


# ---------------------------------------------------------------- class-set identity (6c, 6f, 6i)
def reversed_modes(path: Path) -> None:
    save_patch_modes(str(path), torch.rand(4, 4 * 19), CLASSES[::-1], 16, (2, 2), 'test', 0)


def reversed_stats(path: Path) -> None:
    ClassSizeStats(classes=CLASSES[::-1], alpha=[0.01] * 19, delta=[0.05] * 19,
                   gamma=[0.1] * 19, class_images=[1] * 19, num_images=1).save(str(path))


@pytest.mark.parametrize('kind', ['patch_modes', 'class_stats'])
def test_statistics_of_another_class_order_are_an_error(pristine: Path, tmp_path: Path,
                                                        kind: str) -> None:
    """6c (modes file) and 6i (CA statistics, classes=None): same count, reversed names."""
    if kind == 'patch_modes':
        path = tmp_path / 'modes.pth'
        reversed_modes(path)
        adaptation = dict(type='PatchAlignment', modes_file=str(path), patch_size=16,
                          num_modes=4)
        what = 'patch modes file'
    else:
        path = tmp_path / 'stats.json'
        reversed_stats(path)
        adaptation = dict(type='CategoryAdaptation', stats_file=str(path))
        what = 'class-size statistics file'
    runner = runner_of(tiny_config(tmp_path, pristine), tmp_path,
                       {'model.adaptations.x': adaptation})
    with pytest.raises(ValueError) as err:
        runner.train()
    message = str(err.value)
    assert f"{what} '{path}' was built for the classes ['bicycle', 'motorcycle'" in message
    assert ("train_dataloader.dataset.source (CityscapesDataset, data_root="
            in message and "has the classes ['road', 'sidewalk'" in message)


def test_truncated_modes_file_names_its_path(tmp_path: Path) -> None:
    """6f: torch's 'failed finding central directory' named no file."""
    path = tmp_path / 'modes.pth'
    reversed_modes(path)
    truncate(path)
    with pytest.raises(ValueError, match=rf"patch modes file '{path}' cannot be read"):
        load_patch_modes(str(path), 19, 16, (2, 2), 4)


def test_mixing_images_of_two_sizes_is_an_error_before_training(pristine: Path,
                                                               tmp_path: Path) -> None:
    """DACS pastes source pixels onto target images: a target pipeline that resizes to another
    size than the source's is refused before the first iteration, naming both sizes."""
    small = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(64, 32), keep_ratio=False),
             dict(type='PackSegInputs')]
    runner = runner_of(tiny_config(tmp_path, pristine), tmp_path, {
        'model.adaptations': dict(_delete_=True, dacs=dict(type='DACS')),
        'train_dataloader.dataset.target.pipeline': small})
    with pytest.raises(ValueError, match=r'DACS \(ClassMix, train_dataloader\.dataset\) mixes '
                       r'images of one size, got source \(64, 128\), target \(32, 64\)'):
        runner.train()
    assert not (tmp_path / 'work' / 'iter_1.pth').exists()
