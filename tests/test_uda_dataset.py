"""UDADataset: pairing, metainfo, and the checks that keep target labels out of training."""
import numpy as np
import pytest

from mmseg.registry import DATASETS
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data

SRC_PIPE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')]
TGT_PIPE = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    generate_synthetic_uda_data(str(root), num_train=6, num_val=2, width=64, height=32, seed=1)
    return root


def city(root, domain, split='train', pipeline=SRC_PIPE, labels=True, **kwargs):
    prefix = dict(img_path=f'leftImg8bit/{split}')
    if labels:
        prefix['seg_map_path'] = f'gtFine/{split}'
    return dict(type='CityscapesDataset', data_root=str(root / domain), data_prefix=prefix,
                pipeline=pipeline, **kwargs)


def uda(root, **kwargs):
    return dict(type='UDADataset', source=city(root, 'source'),
                target=city(root, 'target', pipeline=TGT_PIPE, labels=False), **kwargs)


def test_items_pair_source_and_unlabelled_target(data_root):
    ds = DATASETS.build(uda(data_root))
    assert len(ds) == 6
    assert ds.metainfo['classes'] == DATASETS.get('CityscapesDataset').METAINFO['classes']
    item = ds[0]
    assert set(item) == {'source', 'target'}
    assert item['source']['data_samples'].gt_sem_seg.data.shape == (1, 32, 64)
    assert 'gt_sem_seg' not in item['target']['data_samples']
    assert 'target' in item['target']['data_samples'].img_path


def test_target_pairing_covers_the_target_set(data_root):
    ds = DATASETS.build(uda(data_root))
    np.random.seed(0)  # the pairing draws from numpy's global generator
    seen = {ds[0]['target']['data_samples'].img_path for _ in range(60)}
    assert len(seen) == 6


def test_lazy_init_defers_loading(data_root):
    ds = DATASETS.build(uda(data_root, lazy_init=True))
    assert not ds._fully_initialized
    assert len(ds) == 6 and ds._fully_initialized


def test_target_pipeline_with_labels_is_refused(data_root):
    cfg = uda(data_root)
    cfg['target'] = city(data_root, 'target')
    with pytest.raises(ValueError, match='target pipeline contains.*LoadAnnotations'):
        DATASETS.build(cfg)


def test_target_pipeline_with_checked_labels_is_refused(data_root):
    cfg = uda(data_root)
    cfg['target'] = city(data_root, 'target', pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadCheckedAnnotations'),
        dict(type='PackSegInputs')])
    with pytest.raises(ValueError, match=r"target pipeline contains \['LoadCheckedAnnotations'\]"):
        DATASETS.build(cfg)


def test_domains_must_share_classes_and_ignore_index(data_root):
    cfg = uda(data_root)
    cfg['target']['metainfo'] = dict(classes=('road', 'car'), palette=[[0, 0, 0], [1, 1, 1]])
    with pytest.raises(ValueError, match='source and target classes differ'):
        DATASETS.build(cfg)
    cfg = uda(data_root)
    cfg['target']['ignore_index'] = 0
    with pytest.raises(ValueError, match='ignore_index differ.*target ignore_index=0'):
        DATASETS.build(cfg)


def test_empty_or_missing_domain_names_the_path(data_root, tmp_path):
    (tmp_path / 'leftImg8bit' / 'train').mkdir(parents=True)
    cfg = uda(data_root)
    cfg['target']['data_root'] = str(tmp_path)
    with pytest.raises(ValueError, match=f'target dataset is empty.*{tmp_path}'):
        DATASETS.build(cfg)
    cfg['target']['data_root'] = str(tmp_path / 'nowhere')
    with pytest.raises(Exception, match='nowhere'):
        DATASETS.build(cfg)
