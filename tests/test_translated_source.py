"""Translated source images paired with the original labels (Pi, Tsai et al. ICCV 2019)."""
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.config import Config

from mmseg.registry import DATASETS
from mmseg_uda.datasets import TranslatedSourceDataset, UDADataset, bind_label_checks
from mmseg_uda.source_labels import SourceLabelMaps
from tests.conftest import REPO

H, W = 16, 20
NAMES = ['00001', '00002', '00003']
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadCheckedAnnotations'),
            dict(type='PackSegInputs')]


def make_gta(root, names=NAMES, translated_size=(8, 10)):
    """A GTA5 layout (images + train-id labels) and a CyCADA-style folder of smaller
    translated images; returns (source config, translated folder)."""
    rng = np.random.default_rng(0)
    for name in names:
        mmcv.imwrite(rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
                     str(root / 'gta' / 'images' / f'{name}.png'))
        label = rng.integers(0, 19, (H, W), dtype=np.uint8)
        label[0, 0] = 255
        mmcv.imwrite(label, str(root / 'gta' / 'labels' / f'{name}_labelTrainIds.png'))
        mmcv.imwrite(rng.integers(0, 256, (*translated_size, 3), dtype=np.uint8),
                     str(root / 'cycada' / 'images' / f'{name}.png'))
    source = dict(type='GTA5Dataset', data_root=str(root / 'gta'),
                  data_prefix=dict(img_path='images', seg_map_path='labels'), pipeline=PIPELINE)
    return source, str(root / 'cycada' / 'images')


def test_pairs_translated_images_with_the_original_labels(tmp_path):
    source, translated = make_gta(tmp_path)
    dataset = DATASETS.build(dict(type='TranslatedSourceDataset', source=source,
                                  translated_dir=translated))
    assert len(dataset) == 2 * len(NAMES)
    originals = [dataset.get_data_info(i) for i in range(len(NAMES))]
    copies = [dataset.get_data_info(i) for i in range(len(NAMES), len(dataset))]
    assert [osp.basename(i['img_path']) for i in originals] == [f'{n}.png' for n in NAMES]
    for original, copy in zip(originals, copies):
        assert copy['img_path'] == osp.join(translated, osp.basename(original['img_path']))
        assert copy['seg_map_path'] == original['seg_map_path']
        assert copy['translated_from'] == original['img_path']
    assert dataset.metainfo['classes'] == DATASETS.get('GTA5Dataset').METAINFO['classes']
    assert dataset.ignore_index == 255
    assert bind_label_checks(dataset) == 1
    # a translated sample: the 8x10 image resized (bilinear) to its 16x20 label, the label as is
    sample = dataset[len(NAMES)]
    small = mmcv.imread(copies[0]['img_path'])
    expected = mmcv.imresize(small, (W, H), interpolation='bilinear')
    assert np.array_equal(sample['inputs'].permute(1, 2, 0).numpy(), expected)
    label = mmcv.imread(originals[0]['seg_map_path'], flag='unchanged')
    assert np.array_equal(sample['data_samples'].gt_sem_seg.data[0].numpy(), label)
    assert np.array_equal(dataset[0]['data_samples'].gt_sem_seg.data[0].numpy(), label)
    only = TranslatedSourceDataset(source=source, translated_dir=translated, with_original=False)
    assert len(only) == len(NAMES) and 'translated_from' in only.get_data_info(0)


def test_unresized_translated_images_fail_the_label_check(tmp_path):
    source, translated = make_gta(tmp_path)
    dataset = TranslatedSourceDataset(source=source, translated_dir=translated,
                                      resize_to_label=False)
    bind_label_checks(dataset)
    with pytest.raises(ValueError, match='00001_labelTrainIds.png'):
        dataset[len(NAMES)]


def test_unpaired_files_are_errors_naming_the_first(tmp_path):
    source, translated = make_gta(tmp_path)
    (tmp_path / 'cycada' / 'images' / '00002.png').unlink()
    (tmp_path / 'cycada' / 'images' / '00003.png').unlink()
    with pytest.raises(ValueError, match=r"images/00002.png'.*has no translated image.*00002"):
        TranslatedSourceDataset(source=source, translated_dir=translated)
    other = tmp_path / 'other'
    source, translated = make_gta(other)
    mmcv.imwrite(np.zeros((8, 10, 3), np.uint8), str(other / 'cycada/images/00009.png'))
    mmcv.imwrite(np.zeros((8, 10, 3), np.uint8), str(other / 'cycada/images/00007.png'))
    with pytest.raises(ValueError, match=r"00007.png' pairs with no source image.*2 unpaired"):
        TranslatedSourceDataset(source=source, translated_dir=translated)
    # lazily built: the error comes at full_init, as UDADataset calls it before training
    lazy = TranslatedSourceDataset(source=source, translated_dir=translated, lazy_init=True)
    with pytest.raises(ValueError, match='00007.png'):
        lazy.full_init()


def test_missing_folder_and_empty_source_are_errors_naming_them(tmp_path):
    source, _ = make_gta(tmp_path)
    with pytest.raises(FileNotFoundError, match='nowhere'):
        TranslatedSourceDataset(source=source, translated_dir=str(tmp_path / 'nowhere'))
    empty = dict(type='CityscapesDataset', data_root=str(tmp_path / 'void'),
                 data_prefix=dict(img_path='img', seg_map_path='ann'), pipeline=PIPELINE)
    (tmp_path / 'void' / 'img').mkdir(parents=True)
    with pytest.raises(ValueError, match='void'):
        TranslatedSourceDataset(source=empty, translated_dir=str(tmp_path / 'cycada' / 'images'))
    no_loader = dict(source, pipeline=[dict(type='PackSegInputs')])
    with pytest.raises(ValueError, match='LoadImageFromFile'):
        TranslatedSourceDataset(source=no_loader, translated_dir=str(tmp_path / 'x'))


def make_cityscapes(root):
    for i in range(2):
        mmcv.imwrite(np.full((H, W, 3), 50 * i, np.uint8),
                     str(root / 'leftImg8bit' / 'train' / 'c' / f'c_{i}_leftImg8bit.png'))
    return str(root)


def test_cycada_config_is_the_labelled_source_of_the_uda_dataset(tmp_path):
    """configs/pixel_level/gta2cs_cycada_patch_1xb1.py on generated files: UDADataset takes the
    originals and the translations as its source, and the offline label tools (patch modes,
    class statistics) read both sets of label maps with --full-pipeline: each label twice."""
    make_gta(tmp_path)
    cfg = Config.fromfile(osp.join(REPO, 'configs/pixel_level/gta2cs_cycada_patch_1xb1.py'))
    source = cfg.train_dataloader.dataset.source
    assert source.type == 'TranslatedSourceDataset'
    source.source.data_root = str(tmp_path / 'gta')
    source.source.pipeline = PIPELINE  # full-size resize of the config skipped: tiny images
    source.translated_dir = str(tmp_path / 'cycada' / 'images')
    cfg.train_dataloader.dataset.target.data_root = make_cityscapes(tmp_path / 'cs')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert isinstance(dataset, UDADataset) and len(dataset) == 2 * len(NAMES)
    np.random.seed(0)
    item = dataset[len(NAMES)]
    assert item['source']['inputs'].shape == (3, H, W)
    assert item['source']['data_samples'].img_path.startswith(source.translated_dir)
    # the tools' default label path reads only plain pipelines and says what to use
    with pytest.raises(ValueError, match='TranslatedSourceDataset.*--full-pipeline'):
        list(SourceLabelMaps(cfg, num_workers=0, progress=False).batches())
    labels = SourceLabelMaps(cfg, batch_size=4, num_workers=0, progress=False,
                             full_pipeline=True)
    assert len(labels) == 2 * len(NAMES)
    maps = [m for batch in labels.batches() for m in batch]
    assert len(maps) == 2 * len(NAMES)
    assert all(np.array_equal(maps[i].numpy(), maps[i + len(NAMES)].numpy())
               for i in range(len(NAMES)))


def test_cycada_pi_config_without_patch_trains_on_both_sets(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs/pixel_level/gta2cs_cycada_1xb1.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    assert dataset_cfg.type == 'TranslatedSourceDataset' and not cfg.model.get('adaptations')
    dataset_cfg.source.data_root = str(tmp_path / 'gta')
    dataset_cfg.source.pipeline = PIPELINE
    _, dataset_cfg.translated_dir = make_gta(tmp_path)
    assert len(DATASETS.build(dataset_cfg)) == 2 * len(NAMES)
