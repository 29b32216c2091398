"""tools/fit_patch_head.py: H learns the modes, the segmentor comes back bit for bit."""
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from mmseg_uda.utils import segmentor_cfg
from tests.conftest import REPO
from tests.test_patch_modes_tool import build_modes, write_config


def run_tool(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, osp.join(REPO, 'tools', 'fit_patch_head.py'), *args]
    return subprocess.run(cmd, cwd=REPO, env={**os.environ, 'CUDA_VISIBLE_DEVICES': ''},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300)


@pytest.fixture(scope='module')
def patch_setup(tmp_path_factory: pytest.TempPathFactory):
    """A synthetic patch config with its modes file, and a plain segmentor checkpoint."""
    folder = tmp_path_factory.mktemp('fit_head')
    config = write_config(folder, num_train=4)
    modes = folder / 'modes.pth'
    build_modes(config, modes)
    text = config.read_text().replace("modes_file='unused.pth'", f'modes_file={str(modes)!r}')
    config.write_text(text + 'train_dataloader.update(num_workers=0, persistent_workers=False)\n')
    cfg = Config.fromfile(str(config))
    torch.manual_seed(0)
    plain = MODELS.build(segmentor_cfg(cfg.model))
    checkpoint = folder / 'plain.pth'
    torch.save(dict(state_dict=plain.state_dict(), meta={}), checkpoint)
    return config, checkpoint, plain.state_dict()


def test_fit_trains_only_the_head(patch_setup, tmp_path: Path) -> None:
    config, checkpoint, plain_state = patch_setup
    out = tmp_path / 'head.pth'
    proc = run_tool(str(config), str(checkpoint), '--out', str(out), '--iters', '30',
                    '--lr', '0.01', '--log-interval', '10')
    assert proc.returncode == 0, proc.stdout[-6000:]
    saved = torch.load(out, map_location='cpu', weights_only=False)
    state, meta = saved['state_dict'], saved['meta']['patch_head_fit']
    # the segmentor exactly as in the checkpoint, no discriminator, H moved
    for key, value in plain_state.items():
        assert torch.equal(state[f'generator.segmentor.{key}'], value), key
    assert not any(k.startswith('discriminators.') for k in state)
    head_keys = [k for k in state if k.startswith('generator.adaptations.patch.head.')]
    assert head_keys
    cfg = Config.fromfile(str(config))
    torch.manual_seed(0)
    fresh = MODELS.build(cfg.model).state_dict()
    assert any(not torch.equal(state[k], fresh[k]) for k in head_keys)
    # Ld (unweighted, K = 4 modes) falls from about ln 4 as H learns them
    losses = [entry['patch.loss_cluster'] for entry in meta['log']]
    assert [entry['iter'] for entry in meta['log']] == [10, 20, 30]
    assert losses[-1] < losses[0] < 1.5, losses
    assert meta['iters'] == 30 and meta['checkpoint'] == str(checkpoint)
    # the written checkpoint loads into the UDA model with only the discriminators missing
    model = MODELS.build(cfg.model)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert unexpected == [] and missing and all(k.startswith('discriminators.') for k in missing)


def test_config_without_patch_alignment_is_refused(patch_setup, tmp_path: Path) -> None:
    _, checkpoint, _ = patch_setup
    config = osp.join(REPO, 'configs/demo/output_space_synthetic.py')
    proc = run_tool(config, str(checkpoint), '--out', str(tmp_path / 'x.pth'), '--iters', '1',
                    '--cfg-options', 'train_dataloader.num_workers=0',
                    'train_dataloader.persistent_workers=False')
    assert proc.returncode != 0
    assert 'no PatchAlignment adaptation' in proc.stdout
    assert not (tmp_path / 'x.pth').exists()
