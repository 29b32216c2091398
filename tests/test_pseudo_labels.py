"""CBST pseudo labels: class-wise thresholds, the generation tool end to end, and the
pseudo-label folder checks of UDADataset."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from PIL import Image

from mmseg.registry import DATASETS, MODELS
from mmseg_uda.pseudo_labels import (MANIFEST, ClassConfidences, assign_pseudo_labels,
                                     check_pseudo_label_folder)
from tests.conftest import tiny_model_cfg
from tools.generate_pseudo_labels import main as generate

NUM_CLASSES = 11  # CamVidDataset
SIZE = (32, 48)  # H, W
TARGET_IMAGES = ('t0', 't1', 't2')
LOAD = dict(type='LoadImageFromFile')
PACK = dict(type='PackSegInputs')
CHECKED = dict(type='LoadCheckedAnnotations')
PSEUDO = dict(pseudo=dict(type='PseudoLabelTraining'))


def test_thresholds_keep_the_portion_of_each_class():
    """Class 0 is predicted on 10 pixels, class 1 on 20, class 2 nowhere: at p = 0.3 the
    thresholds are the 3rd and the 6th highest confidences and exactly 3 and 6 pixels keep
    their label; class 2's threshold is 1."""
    conf0 = np.linspace(0.55, 1.0, 10)
    conf1 = np.linspace(0.51, 0.9, 20)
    probs = np.zeros((3, 1, 30))
    probs[0, 0, :10], probs[1, 0, :10] = conf0, 1 - conf0
    probs[1, 0, 10:], probs[0, 0, 10:] = conf1, 1 - conf1
    acc = ClassConfidences(3, stride=1)
    acc.update(probs)
    thresholds = acc.thresholds(0.3)
    assert thresholds[0] == pytest.approx(np.sort(conf0)[::-1][2])
    assert thresholds[1] == pytest.approx(np.sort(conf1)[::-1][5])
    assert thresholds[2] == 1.0
    assert acc.predicted.tolist() == [10, 20, 0]
    labels = assign_pseudo_labels(probs, thresholds)
    assert np.bincount(labels[labels != 255], minlength=3).tolist() == [3, 6, 0]
    assert (labels[0, :10][labels[0, :10] != 255] == 0).all()
    # stride 2 keeps every other confidence of each class
    half = ClassConfidences(3, stride=2)
    half.update(probs)
    assert half.thresholds(1.0)[1] == pytest.approx(np.sort(conf1[::2])[0])


def test_reweighted_argmax_can_pick_the_rarer_class():
    """CBST labels the arg-max of p_c / threshold_c, not of p_c."""
    probs = np.array([0.6, 0.4])[:, None, None]
    assert assign_pseudo_labels(probs, [0.9, 0.3])[0, 0] == 1
    assert assign_pseudo_labels(probs, [0.9, 0.5])[0, 0] == 255  # 0.6/0.9 < 1, 0.4/0.5 < 1
    with pytest.raises(ValueError, match='portion'):
        ClassConfidences(2).thresholds(0.0)


def _write_images(folder, names, seed, labels_folder=None):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    for name in names:
        Image.fromarray(rng.integers(0, 256, SIZE + (3, ), dtype=np.uint8)).save(
            osp.join(folder, f'{name}.png'))
        if labels_folder is not None:
            os.makedirs(labels_folder, exist_ok=True)
            Image.fromarray(rng.integers(0, NUM_CLASSES, SIZE, dtype=np.uint8)).save(
                osp.join(labels_folder, f'{name}.png'))


def _camvid(root, prefix, pipeline):
    return dict(type='CamVidDataset', data_root=str(root), data_prefix=prefix, pipeline=pipeline)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Generated CamVid-style data, a re-training config of the tiny model and two checkpoints
    of it (a plain segmentor one and a UDA one), and the tool's output for the first."""
    root = tmp_path_factory.mktemp('camvid_gen')
    _write_images(root / 'source/img', ('s0', 's1'), 0, root / 'source/ann')
    _write_images(root / 'target/img', TARGET_IMAGES, 1)
    _write_images(root / 'target/test_img', ('v0', ), 2, root / 'target/test_ann')
    cfg = Config(dict(
        model=tiny_model_cfg(NUM_CLASSES, adaptations=PSEUDO),
        train_dataloader=dict(dataset=dict(
            type='UDADataset',
            source=_camvid(root, dict(img_path='source/img', seg_map_path='source/ann'),
                           [LOAD, CHECKED, PACK]),
            target=_camvid(root, dict(img_path='target/img'), [LOAD, PACK]))),
        val_dataloader=dict(dataset=_camvid(
            root, dict(img_path='target/test_img', seg_map_path='target/test_ann'),
            [LOAD, CHECKED, PACK]))))
    config = str(root / 'config.py')
    cfg.dump(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    plain = str(root / 'plain.pth')
    torch.save(dict(state_dict=model.segmentor.state_dict()), plain)
    uda = str(root / 'uda.pth')
    torch.save(dict(state_dict=model.state_dict()), uda)
    out = str(root / 'round1')
    manifest = generate([config, plain, '--out', out, '--portion', '0.5', '--stride', '1',
                         '--num-workers', '0'])
    return dict(root=root, cfg=cfg, config=config, plain=plain, uda=uda, out=out,
                manifest=manifest)


def test_tool_writes_one_label_per_target_image(setup):
    out, manifest = setup['out'], setup['manifest']
    files = sorted(f for f in os.listdir(out) if f.endswith('.png'))
    assert files == [f'{n}.png' for n in TARGET_IMAGES]
    counts = np.zeros(NUM_CLASSES, dtype=int)
    for f in files:
        label = np.array(Image.open(osp.join(out, f)))
        assert label.shape == SIZE and label.dtype == np.uint8
        assert set(np.unique(label)) <= set(range(NUM_CLASSES)) | {255}
        counts += np.bincount(label[label != 255], minlength=NUM_CLASSES)
    rows = manifest['per_class']
    assert [r['kept'] for r in rows] == counts.tolist()
    assert sum(r['predicted'] for r in rows) == len(TARGET_IMAGES) * SIZE[0] * SIZE[1]
    assert 0 < counts.sum() < len(TARGET_IMAGES) * SIZE[0] * SIZE[1]
    assert manifest['ignored_pixels'] == len(TARGET_IMAGES) * SIZE[0] * SIZE[1] - counts.sum()
    with open(osp.join(out, MANIFEST)) as f:
        assert json.load(f)['classes'] == list(DATASETS.get('CamVidDataset').METAINFO['classes'])


def _pseudo_uda(setup, folder, pipeline=(LOAD, PACK)):
    train = setup['cfg'].train_dataloader.dataset.to_dict()
    train['target']['pipeline'] = list(pipeline)
    return DATASETS.build(dict(train, target_pseudo_labels=folder))


def test_retraining_reads_the_pseudo_labels(setup):
    """UDADataset(target_pseudo_labels=...) gives the target samples the written labels, and
    PseudoLabelTraining trains on them."""
    dataset = _pseudo_uda(setup, setup['out'])
    item = dataset[0]
    target = item['target']['data_samples']
    name = osp.basename(target.img_path)
    written = np.array(Image.open(osp.join(setup['out'], name)))
    assert np.array_equal(target.gt_sem_seg.data[0].numpy(), written)
    model = MODELS.build(setup['cfg'].model)
    model.init_weights()
    optim = OptimWrapperDict(generator=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)))
    MessageHub.get_current_instance().update_info('iter', 0)
    batch = pseudo_collate([dataset[0], dataset[1]])
    log_vars = model.train_step(dict(source=batch['source'], target=batch['target']), optim)
    assert torch.isfinite(log_vars['tgt.pseudo.loss_pseudo'])


def test_rounds_chain_from_a_uda_checkpoint(setup, tmp_path):
    """Round 2 from a UDA checkpoint writes a new folder; an existing one is refused. The UDA
    checkpoint of the same weights as the plain one gives the same thresholds."""
    same = generate([setup['config'], setup['uda'], '--out', str(tmp_path / 'same'),
                     '--portion', '0.5', '--stride', '1', '--num-workers', '0'])
    assert same['thresholds'] == setup['manifest']['thresholds']
    assert same['per_class'] == setup['manifest']['per_class']
    out = str(tmp_path / 'round2')
    manifest = generate([setup['config'], setup['uda'], '--out', out, '--portion', '0.7'])
    assert manifest['num_images'] == len(TARGET_IMAGES) and manifest['portion'] == 0.7
    with pytest.raises(FileExistsError, match='new folder'):
        generate([setup['config'], setup['uda'], '--out', out])


def test_checkpoint_of_another_class_set_names_both_counts(setup, tmp_path):
    model = MODELS.build(tiny_model_cfg(4)['segmentor'])
    ckpt = str(tmp_path / 'four.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    with pytest.raises(ValueError, match=r'is for 4 classes.*has 11'):
        generate([setup['config'], ckpt, '--out', str(tmp_path / 'x')])


def _corrupt(setup, tmp_path, change):
    folder = str(tmp_path / 'labels')
    shutil.copytree(setup['out'], folder)
    change(folder)
    return folder


def test_folder_of_another_target_set_is_refused(setup, tmp_path):
    def missing(folder):
        os.remove(osp.join(folder, 't1.png'))

    def extra(folder):
        shutil.copy(osp.join(folder, 't0.png'), osp.join(folder, 'zz.png'))

    def classes(folder):
        path = osp.join(folder, MANIFEST)
        with open(path) as f:
            content = json.load(f)
        content['classes'] = content['classes'][:5]
        with open(path, 'w') as f:
            json.dump(content, f)

    def size(folder):
        Image.fromarray(np.zeros((16, 48), np.uint8)).save(osp.join(folder, 't2.png'))

    cases = [(missing, r"t1\.png"), (extra, r"zz\.png"), (classes, r'5 classes.*11 classes'),
             (size, r't2\.png.* 16x48 \(HxW\).* 32x48')]
    for i, (change, match) in enumerate(cases):
        with pytest.raises((ValueError, FileNotFoundError), match=match):
            _pseudo_uda(setup, _corrupt(setup, tmp_path / str(i), change))


def test_missing_label_of_a_dataset_without_file_checks(setup, tmp_path):
    """The folder check itself names the image without a pseudo label (CamVidDataset's own
    file checks find it first in the tests above)."""
    img = str(setup['root'] / 'target/img/t0.png')
    missing = str(tmp_path / 't0.png')
    with pytest.raises(FileNotFoundError, match=r"no label for target image .*t0\.png"):
        check_pseudo_label_folder(setup['out'], setup['manifest']['classes'], [(img, missing)])


def test_pseudo_labels_load_right_after_the_image(setup):
    """The label loading is added after LoadImageFromFile (before the transforms); a target
    pipeline that loads labels itself is still refused, and so is a folder without manifest."""
    resize = dict(type='Resize', scale=(24, 16), keep_ratio=False)
    dataset = _pseudo_uda(setup, setup['out'], pipeline=(LOAD, resize, PACK))
    steps = [type(t).__name__ for t in dataset.target.pipeline.transforms]
    assert steps == ['LoadImageFromFile', 'LoadCheckedAnnotations', 'Resize', 'PackSegInputs']
    assert dataset[0]['target']['data_samples'].gt_sem_seg.data.shape[-2:] == (16, 24)
    with pytest.raises(ValueError, match='must not be read'):
        _pseudo_uda(setup, setup['out'], pipeline=(LOAD, CHECKED, PACK))
    with pytest.raises(FileNotFoundError, match=f'no {MANIFEST}'):
        _pseudo_uda(setup, str(setup['root'] / 'target'))
