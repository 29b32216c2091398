"""tools/compute_class_stats.py end to end on generated data, against a direct numpy count."""
import glob
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg.datasets import CityscapesDataset
from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.class_stats import load_class_size_stats
from tests.conftest import REPO

CLASSES = list(CityscapesDataset.METAINFO['classes'])


def compute_stats(config: Path, out: Path, *extra: str, check: bool = True) -> str:
    """Run the tool on CPU; return its combined output."""
    args = [sys.executable, osp.join(REPO, 'tools', 'compute_class_stats.py'), str(config),
            '--out', str(out), '--num-workers', '1', '--batch-size', '2', *extra]
    proc = subprocess.run(args, cwd=REPO, env={**os.environ, 'CUDA_VISIBLE_DEVICES': ''},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)
    if check:
        assert proc.returncode == 0, f'{args} exited with {proc.returncode}:\n{proc.stdout[-6000:]}'
    else:
        assert proc.returncode != 0, proc.stdout[-3000:]
    return proc.stdout


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    """Synthetic source labels (some pixels set to ignore) and a GA+CA config reading them."""
    tmp = tmp_path_factory.mktemp('class_stats')
    data = generate_synthetic_uda_data(str(tmp / 'data'), num_train=6, num_val=1, width=96,
                                       height=48)
    labels = sorted(glob.glob(osp.join(data['source_root'], 'gtFine', 'train', '**',
                                       '*_labelTrainIds.png'), recursive=True))
    assert len(labels) == 6
    for i, path in enumerate(labels[:3]):  # ignored rows count in the image size only
        label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        label[:5 * (i + 1)] = 255
        cv2.imwrite(path, label)
    config = tmp / 'fcn_wild_synthetic.py'
    config.write_text(f"""_base_ = [{osp.join(REPO, 'configs/demo/output_space_synthetic.py')!r}]
model = dict(adaptations=dict(_delete_=True, ca=dict(type='CategoryAdaptation',
                                                     stats_file='unused.json')))
train_dataloader = dict(dataset=dict(source=dict(data_root={data['source_root']!r}),
                                     target=dict(data_root={data['target_root']!r})))
""")
    return config, labels


def numpy_stats(labels):
    """α (10th percentile), δ (mean), γ (90th percentile) per class, directly."""
    fractions = [[] for _ in CLASSES]
    for path in labels:
        label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        for c in range(len(CLASSES)):
            count = int((label == c).sum())
            if count:
                fractions[c].append(count / label.size)
    return fractions


def test_compute_class_stats_matches_numpy(synthetic, tmp_path: Path) -> None:
    config, labels = synthetic
    out = tmp_path / 'stats' / 'synthetic.json'
    log = compute_stats(config, out)
    stats = load_class_size_stats(str(out), len(CLASSES), CLASSES)
    assert stats.num_images == 6 and stats.config == str(config)
    assert stats.dataset.startswith('CityscapesDataset:') and stats.ignore_index == 255
    fractions = numpy_stats(labels)
    present = [c for c, f in enumerate(fractions) if f]
    assert 4 <= len(present) < len(CLASSES)  # some classes never drawn
    for c, values in enumerate(fractions):
        assert stats.class_images[c] == len(values)
        if values:
            assert stats.alpha[c] == pytest.approx(np.percentile(values, 10), abs=1e-12)
            assert stats.delta[c] == pytest.approx(np.mean(values), abs=1e-12)
            assert stats.gamma[c] == pytest.approx(np.percentile(values, 90), abs=1e-12)
        else:
            assert (stats.alpha[c], stats.delta[c], stats.gamma[c]) == (0.0, 0.0, 1.0)
    # the summary table: one row per class with its image count and statistics
    road = re.search(r'^road\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)', log, re.M)
    assert road and int(road.group(1)) == len(fractions[0]), log[-3000:]
    assert float(road.group(3)) == pytest.approx(np.mean(fractions[0]), abs=1e-4)
    assert 'saved class-size statistics to' in log


def test_out_of_range_label_is_refused_naming_the_file(synthetic, tmp_path: Path) -> None:
    """Review 3e: values >= C were silently dropped (and still counted in the image size)."""
    config, labels = synthetic
    data = tmp_path / 'data'
    source = Path(labels[0]).parents[3]
    shutil.copytree(source, data / 'source')
    label_path = sorted((data / 'source' / 'gtFine').rglob('*.png'))[2]
    label = cv2.imread(str(label_path), cv2.IMREAD_UNCHANGED)
    label[-3:, -3:] = 50
    cv2.imwrite(str(label_path), label)
    out = tmp_path / 'stats.json'
    log = compute_stats(config, out, '--cfg-options',
                        f'train_dataloader.dataset.source.data_root={data / "source"}',
                        check=False)
    assert f"label file '{label_path}': label values [50]" in log, log[-3000:]
    assert not out.exists()


def test_compute_class_stats_from_converter_label_stats(synthetic, tmp_path: Path) -> None:
    config, labels = synthetic
    images = {}
    for path in labels:
        label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        images[osp.basename(path)] = dict(
            height=label.shape[0], width=label.shape[1],
            pixels=[int((label == c).sum()) for c in range(len(CLASSES))])
    label_stats = tmp_path / 'label_stats.json'
    label_stats.write_text(json.dumps(dict(dataset='synthetic', classes=CLASSES,
                                           ignore_index=255, num_images=6, images=images)))
    from_json = tmp_path / 'from_json.json'
    log = compute_stats(config, from_json, '--label-stats', str(label_stats))
    assert 'reading per-image class pixel counts' in log
    from_maps = tmp_path / 'from_maps.json'
    compute_stats(config, from_maps)
    a, b = load_class_size_stats(str(from_json)), load_class_size_stats(str(from_maps))
    for name in ('alpha', 'delta', 'gamma'):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-12)
    assert a.class_images == b.class_images and a.num_images == 6 and a.dataset == 'synthetic'
    # a label_stats.json of another class set is refused, naming both class lists
    label_stats.write_text(json.dumps(dict(classes=CLASSES[:18], images=images)))
    log = compute_stats(config, tmp_path / 'bad.json', '--label-stats', str(label_stats),
                        check=False)
    assert re.search(r"counts the classes \[.*'motorcycle'\], but the source dataset "
                     r"CityscapesDataset of the config has the classes \[.*'bicycle'\]", log)
    assert not (tmp_path / 'bad.json').exists()
