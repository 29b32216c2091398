"""A trained model needs none of the files its training read: the patch modes and the class-size
statistics are in its checkpoint (CheckpointedFileState). Training without them, and without a
checkpoint that holds them, stops before the first iteration naming the file and its command."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
from mmseg_uda.engine import safe_torch_load
from tests.conftest import REPO
from tests.test_launch import run_tool
from tests.test_safe_load import BASE

TOOLS = Path(REPO) / 'tools'
ONE_THREAD = {'OMP_NUM_THREADS': '1'}
#: The tiny synthetic-data training of tests/test_safe_load.py, with patch alignment and
#: category adaptation reading their files from ``{files}``.
ADAPTATIONS = """
modes_file = '{files}/modes.pth'
stats_file = '{files}/stats.json'
model = dict(warmup_iters=1, adaptations=dict(
    patch=dict(modes_file=modes_file),
    ca=dict(type='CategoryAdaptation', stats_file=stats_file, classes='CityscapesDataset')))
"""


def miou(out: str) -> float:
    found = re.findall(r'mIoU: ([0-9.]+)', out)
    assert found, out[-3000:]
    return float(found[-1])


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A patch alignment + category adaptation model trained 2 iterations; the config, its
    files folder and the checkpoint, moved out of the work dir."""
    root = tmp_path_factory.mktemp('self_contained')
    generate_synthetic_uda_data(str(root / 'data'), num_train=4, num_val=2, width=128, height=64,
                                seed=7)
    files = root / 'files'
    files.mkdir()
    config = root / 'patch_ca.py'
    config.write_text(BASE.format(repo=REPO, demo='patch_align_synthetic', root=root / 'data')
                      + ADAPTATIONS.format(files=files))
    run_tool([sys.executable, str(TOOLS / 'build_patch_modes.py'), str(config), '--out',
              str(files / 'modes.pth')], cwd=root, env=ONE_THREAD)
    run_tool([sys.executable, str(TOOLS / 'compute_class_stats.py'), str(config), '--out',
              str(files / 'stats.json')], cwd=root, env=ONE_THREAD)
    run_tool([sys.executable, str(TOOLS / 'train.py'), str(config), '--work-dir',
              str(root / 'work')], cwd=root, env=ONE_THREAD)
    checkpoint = root / 'model.pth'
    shutil.move(str(root / 'work' / 'iter_2.pth'), checkpoint)
    return config, files, checkpoint


def test_checkpoint_holds_the_files_content(trained):
    config, files, checkpoint = trained
    state = safe_torch_load(str(checkpoint))['state_dict']
    modes = torch.load(files / 'modes.pth', weights_only=True)['modes']
    assert torch.equal(state['generator.adaptations.patch.modes'], modes.float())
    assert state['generator.adaptations.ca.loss.alpha'].shape == (19, )


def test_test_tool_needs_no_files(trained, tmp_path):
    """Same mIoU after the modes, the statistics and the work dir are gone."""
    config, files, checkpoint = trained
    test = [sys.executable, str(TOOLS / 'test.py'), str(config), str(checkpoint)]
    before = miou(run_tool(test + ['--work-dir', str(tmp_path / 'a')], cwd=tmp_path,
                           env=ONE_THREAD))
    moved = tmp_path / 'files_elsewhere'
    shutil.move(str(files), moved)
    shutil.rmtree(config.parent / 'work')
    try:
        after = miou(run_tool(test + ['--work-dir', str(tmp_path / 'b')], cwd=tmp_path,
                              env=ONE_THREAD))
    finally:
        shutil.move(str(moved), files)
    assert after == before


def test_training_without_files_stops_before_the_first_iteration(trained, tmp_path):
    """No file and no checkpoint: the modes file's error and its command, before iteration 1;
    with ``load_from`` a checkpoint that holds both, training runs without the files."""
    config, files, checkpoint = trained
    cfg = tmp_path / 'no_files.py'
    cfg.write_text(config.read_text().replace(str(files), str(tmp_path / 'nowhere')))
    train = [sys.executable, str(TOOLS / 'train.py'), str(cfg), '--work-dir',
             str(tmp_path / 'work')]
    proc = subprocess.run(train, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, **ONE_THREAD})
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and 'Iter(train)' not in out
    assert re.search(r"patch modes file '.*nowhere/modes\.pth' does not exist", out), out[-3000:]
    assert 'tools/build_patch_modes.py' in out

    run_tool(train + ['--cfg-options', f'load_from={checkpoint}'], cwd=tmp_path,
             env=ONE_THREAD)
    state = safe_torch_load(str(tmp_path / 'work' / 'iter_2.pth'))['state_dict']
    reference = safe_torch_load(str(checkpoint))['state_dict']
    for key in ('generator.adaptations.patch.modes', 'generator.adaptations.ca.loss.gamma'):
        assert torch.equal(state[key], reference[key]), key
