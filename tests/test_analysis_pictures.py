"""The picture tools of tools/analysis/ on generated data: each PNG decodes with its size."""
import importlib.util
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmseg.evaluation import IoUMetric
from mmseg.registry import MODELS
from mmseg_uda.analysis import build_test_runner
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.engine import reestimate_bn_stats
from mmseg_uda.visualization import (chain_runs, draw_label, make_visualizer, plot_class_iou,
                                     plot_image_grid, plot_training_curves, read_scalars)
from tests.conftest import REPO, make_batch, tiny_model_cfg

W, H = 64, 32  # the generated images


def tool(name: str):
    """The module of ``tools/analysis/<name>.py``."""
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', 'analysis', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png(path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f'{path} does not decode'
    return image[..., ::-1]


@pytest.fixture(scope='module')
def uda_setup(tmp_path_factory):
    """Generated source/target data, a UDA config reading it, two checkpoints of its model."""
    tmp = tmp_path_factory.mktemp('pictures')
    data = generate_synthetic_uda_data(str(tmp / 'data'), num_train=3, num_val=3, width=W,
                                       height=H)
    cfg = Config.fromfile(osp.join(REPO, 'configs/demo/output_space_synthetic.py'))
    cfg.train_dataloader.dataset.source.data_root = data['source_root']
    cfg.train_dataloader.dataset.target.data_root = data['target_root']
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False)
        cfg[key].dataset.data_root = data['target_root']
    config = str(tmp / 'uda.py')
    cfg.dump(config)
    checkpoints = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
        path = str(tmp / f'seed{seed}.pth')
        torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
        checkpoints.append(path)
    return dict(tmp=tmp, data=data, config=config, ckpts=checkpoints)


def test_qualitative_grid(uda_setup, capsys):
    """Rows of image | ground truth | one prediction per model, each tile at native size."""
    s = uda_setup
    out = s['tmp'] / 'grid.png'
    tool('qualitative_grid').main([
        '--out', str(out), f"a={s['config']}:{s['ckpts'][0]}",
        f"b model={s['config']}:{s['ckpts'][1]}", '--indices', '2', '0',
        '--work-dir', str(s['tmp'] / 'grid_work')])
    assert '2 images (2, 0) x 2 models' in capsys.readouterr().out
    image = png(out)
    legend_cols = (16 + 4 * W + 3 * 4 + 4) // 95  # 288 px wide: 3 classes a line
    assert image.shape == (22 + 2 * H + 4 + 10 + 16 * math.ceil(19 / legend_cols), 288, 3)
    # first row, first column: test image 2 itself, at 16 px from the left and 22 from the top
    files = sorted((s['tmp'] / 'data' / 'target' / 'leftImg8bit' / 'val').rglob('*.png'))
    target = png(files[2])
    tile = image[22:22 + H, 16:16 + W].astype(int)
    assert np.abs(tile - target)[2:-2, 2:-2].mean() < 1  # inside the axes' frame
    with pytest.raises(ValueError, match='the test set has 3 images'):
        tool('qualitative_grid').main(['--out', str(out), f"a={s['config']}:{s['ckpts'][0]}",
                                       '--indices', '3'])
    with pytest.raises(FileNotFoundError, match='checkpoint file nope.pth'):
        tool('qualitative_grid').main(['--out', str(out), f"a={s['config']}:nope.pth"])


def test_draw_label_colours_in_the_palette():
    palette = [[10, 20, 30], [200, 100, 0]]
    visualizer = make_visualizer(['a', 'b'], palette)
    image = np.full((4, 6, 3), 90, np.uint8)
    label = np.zeros((4, 6), np.int64)
    label[:, 3:] = 1
    label[0, 0] = 255
    mask = draw_label(visualizer, image, label)
    assert (mask[1, 0] == palette[0]).all() and (mask[0, 5] == palette[1]).all()
    assert (mask[0, 0] == 0).all()  # the ignore index stays black
    overlay = draw_label(visualizer, image, label, alpha=0.5)
    assert (overlay[0, 0] == 45).all() and abs(int(overlay[1, 0, 2]) - 60) <= 1
    with pytest.raises(ValueError, match=r'label map of size \(2, 6\)'):
        draw_label(visualizer, image, label[:2])
    with pytest.raises(ValueError, match='different sizes'):
        plot_image_grid([[image, image[:2]]], ['x', 'y'], '/tmp/never.png')


def test_class_iou_bars_evaluates_and_reads_results(uda_setup, capsys):
    """CONFIG:CKPT is tested with ClassIoUMetric; its saved metrics plot again, mean ± std."""
    s = uda_setup
    out, saved = s['tmp'] / 'iou.png', s['tmp'] / 'metrics'
    bars = tool('class_iou_bars')
    bars.main(['--out', str(out), '--save-metrics', str(saved),
               f"seed 0={s['config']}:{s['ckpts'][0]}", f"seed 1={s['config']}:{s['ckpts'][1]}"])
    first = json.loads((saved / 'seed_0_0.json').read_text())
    per_class = [v for k, v in first.items() if k.startswith('IoU.')]
    assert len(per_class) == 19  # the Cityscapes classes of the synthetic data
    assert abs(np.nanmean(per_class) - first['mIoU']) <= 0.01
    # a plain IoUMetric on the same checkpoint gives the same means
    runner = build_test_runner(s['config'], s['ckpts'][0], str(s['tmp'] / 'plain'))
    plain = runner.test()
    assert isinstance(runner.test_evaluator.metrics[0], IoUMetric)
    assert plain['mIoU'] == first['mIoU'] and plain['aAcc'] == first['aAcc']
    assert png(out).shape == (360, 1200, 3)  # 19 classes and the mean, 0.6 inch each
    capsys.readouterr()
    both = f"{saved / 'seed_0_0.json'},{saved / 'seed_1_0.json'}"
    bars.main(['--out', str(out), f'two seeds={both}'])
    line = capsys.readouterr().out.splitlines()[0]
    second = json.loads((saved / 'seed_1_0.json').read_text())
    c = next(k for k in first if k.startswith('IoU.') and not math.isnan(first[k]))
    mean = (first[c] + second[c]) / 2
    assert f'{c[4:]} {mean:.1f} ± {abs(first[c] - second[c]) / math.sqrt(2):.1f}' in line
    assert png(out).shape == (360, 1200, 3)


def test_plot_class_iou_checks_its_input(tmp_path):
    out = str(tmp_path / 'bars.png')
    plot_class_iou({'a': [10, 20, math.nan], 'b': [30, 40, 50]}, ['x', 'y', 'z'], out,
                   title='t', errors={'b': [1, 2, 3]})
    assert png(out).shape == (360, 600, 3)
    with pytest.raises(ValueError, match="series 'a' has 2 values for 3 classes"):
        plot_class_iou({'a': [1, 2]}, ['x', 'y', 'z'], out)
    with pytest.raises(ValueError, match=r"errors for \['c'\]"):
        plot_class_iou({'a': [1, 2, 3]}, ['x', 'y', 'z'], out, errors={'c': [1, 2, 3]})


def write_log(folder, records):
    path = folder / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    return path


def test_training_curves(tmp_path, capsys):
    """Warm-up + continuation chained, UDA keys grouped into the four panels."""
    warmup = [dict(iter=i, step=i, **{'src.decode.loss_ce': 1.0 / i, 'src.loss': 1.0 / i})
              for i in (10, 20)] + [dict(step=20, mIoU=10.0)]
    adapt = [dict(iter=i, step=i, **{'src.decode.loss_ce': 0.1, 'adv.output.loss_adv': 0.7,
                                     'tgt.loss': 0.7, 'disc.src.output.loss_d': 0.6,
                                     'disc.tgt.output.loss_d': 0.5}) for i in (10, 20)]
    adapt.append(dict(step=20, mIoU=12.0))
    write_log(tmp_path / 'warmup' / '20260101_000000', warmup)
    write_log(tmp_path / 'adapt' / '20260101_010000', adapt)
    # a test run in the same work dir: no training record, left out
    write_log(tmp_path / 'adapt' / '20260101_020000', [dict(step=0, mIoU=50.0)])
    chained = chain_runs([read_scalars(str(tmp_path / 'warmup')),
                          read_scalars(str(tmp_path / 'adapt'))])
    assert [r['step'] for r in chained] == [10, 20, 20, 30, 40, 40]
    out = tmp_path / 'curves.png'
    tool('training_curves').main(['--out', str(out), f"adapted={tmp_path / 'warmup'},"
                                  f"{tmp_path / 'adapt'}", f"warm-up={tmp_path / 'warmup'}"])
    printed = capsys.readouterr().out
    assert 'segmentation (source) losses: src.decode.loss_ce\n' in printed
    assert 'adversarial / target losses: adv.output.loss_adv\n' in printed
    assert 'discriminator losses: disc.src.output.loss_d, disc.tgt.output.loss_d\n' in printed
    assert 'target validation mIoU: mIoU\n' in printed
    assert png(out).shape == (340, 4 * 420, 3)
    tool('training_curves').main(['--out', str(out), '--per-run', '--panel', 'total=^src.loss$',
                                  f"warm up={tmp_path / 'warmup'}"])
    assert png(tmp_path / 'curves_warm_up.png').shape == (340, 420, 3)
    drawn = plot_training_curves({'a': chained}, str(out), [('lr', 'lr$'), ('mIoU', 'mIoU')])
    assert drawn == {'mIoU': ['mIoU']}
    with pytest.raises(ValueError, match='no panel matches'):
        plot_training_curves({'a': chained}, str(out), [('lr', 'lr$')])
    bad = tmp_path / 'bad.json'
    bad.write_text('{"step": 1}\nnot json\n')
    with pytest.raises(ValueError, match='bad.json, line 2: not JSON'):
        read_scalars(str(bad))
    with pytest.raises(FileNotFoundError, match='not a scalars.json file'):
        read_scalars(str(tmp_path / 'nothing'))


def test_browse_uda_dataset(uda_setup, capsys):
    """Source sample with its label drawn | target sample, one PNG per index."""
    s = uda_setup
    browse = tool('browse_uda_dataset')
    out_dir = s['tmp'] / 'browse'
    browse.main([s['config'], '--out-dir', str(out_dir), '--indices', '0', '2'])
    printed = capsys.readouterr().out
    assert printed.count('leftImg8bit/train') == 4
    for i in (0, 2):
        picture = png(out_dir / f'{i:05d}.png')
        assert picture.shape == (H, 2 * W + 4, 3)
        assert (picture[:, W:W + 4] == 255).all()
    cfg = Config.fromfile(s['config'])
    cfg.train_dataloader.dataset = cfg.train_dataloader.dataset.source
    plain = str(s['tmp'] / 'plain.py')
    cfg.dump(plain)
    with pytest.raises(ValueError, match="'CityscapesDataset', not a UDADataset"):
        browse.main([plain, '--out-dir', str(out_dir)])


def test_adabn_progress_bar(capsys):
    """mmengine's bar over the batches, or nothing."""
    seg = MODELS.build(tiny_model_cfg()['segmentor'])
    batches = [make_batch(2, 32, 48, labels=False, seed=i) for i in range(3)]
    capsys.readouterr()
    reestimate_bn_stats(seg, seg.data_preprocessor, batches, max_batches=2)
    assert '] 2/2, ' in capsys.readouterr().out
    reestimate_bn_stats(seg, seg.data_preprocessor, batches, progress=False)
    assert capsys.readouterr().out == ''
