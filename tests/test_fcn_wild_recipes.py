"""FCNs in the Wild recipes: every adaptation config starts from the trained model it names.

Hoffman et al. 2016 adapt the trained source-only front-end; the GTA5 / SYNTHIA / cross-city
configs therefore ``load_from`` the final checkpoint of a shipped source-only config of the same
network (or, for the staged GA-then-CA recipe, of the GA config), with no warm-up.
"""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmseg.registry import MODELS
from mmseg_uda.testing import shipped_configs
from mmseg_uda.utils import segmentor_cfg
from tests.conftest import REPO, tiny_model_cfg
from tests.test_fcn_wild import ga_cfg, ca_cfg, write_stats

FCN_WILD = sorted(  # aliases aside (shipped_configs): they merge to the config they name
    osp.splitext(osp.basename(p))[0] for p in shipped_configs(REPO)
    if p.startswith('configs/fcn_wild/'))
#: Configs of the paper's benchmarks (the CamVid ones are the CPU table's, with a warm-up).
BENCHMARK = [name for name in FCN_WILD if not name.startswith('camvid')]
CHECKPOINT = re.compile(r'^work_dirs/(?P<run>[A-Za-z0-9_]+)/iter_(?P<iter>\d+)\.pth$')


def load(folder: str, name: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', folder, f'{name}.py'))


def start_config(name: str, cfg: Config):
    """The config whose run writes ``cfg.load_from``, and that run's final iteration."""
    match = CHECKPOINT.match(cfg.get('load_from') or '')
    assert match, f'{name}: load_from {cfg.get("load_from")!r} is not work_dirs/<run>/iter_N.pth'
    run = match.group('run')
    folder = 'fcn_wild' if name.endswith('_ga_then_ca') else 'source_only'
    path = osp.join(REPO, 'configs', folder, f'{run}.py')
    assert osp.exists(path), f'{name}: load_from names the run of {path}, which does not exist'
    return load(folder, run), int(match.group('iter'))


@pytest.mark.parametrize('name', BENCHMARK)
def test_adaptation_starts_from_the_trained_model_of_the_same_network(name):
    cfg = load('fcn_wild', name)
    start, iteration = start_config(name, cfg)
    assert cfg.model.warmup_iters == 0, f'{name}: adapts from a trained model, no warm-up'
    assert iteration == start.train_cfg.max_iters, (
        f'{name}: load_from iteration {iteration}, the start run ends at '
        f'{start.train_cfg.max_iters}')
    assert segmentor_cfg(start.model).to_dict() == cfg.model.segmentor.to_dict()
    source = cfg.train_dataloader.dataset.source.to_dict()
    start_data = start.train_dataloader.dataset
    start_source = start_data.source if start_data.type == 'UDADataset' else start_data
    assert start_source.to_dict() == source
    assert start.val_dataloader.dataset.to_dict() == cfg.val_dataloader.dataset.to_dict()
    if name.endswith('_ga_then_ca'):  # stage 2 continues stage 1's GA
        assert start.model.adaptations.ga.to_dict() == cfg.model.adaptations.ga.to_dict()
        assert set(cfg.model.adaptations) == {'ga', 'ca'}
    else:
        assert not start.model.get('adaptations')


@pytest.mark.parametrize('name', [n for n in BENCHMARK if n.endswith('_ga_ca')])
def test_every_ga_ca_config_has_its_ga_only_config(name):
    """Tables 1 and 3 report GA alone next to GA+CA for GTA5, SYNTHIA and cross-city."""
    ga_name = name[:-len('_ca')]
    assert ga_name in FCN_WILD, f'{name} has no GA-only counterpart {ga_name}.py'
    cfg, ga = load('fcn_wild', name), load('fcn_wild', ga_name)
    assert set(cfg.model.adaptations) == {'ga', 'ca'} and set(ga.model.adaptations) == {'ga'}
    assert ga.model.adaptations.ga.to_dict() == cfg.model.adaptations.ga.to_dict()
    assert ga.load_from == cfg.load_from


def test_source_only_checkpoint_loads_into_the_ga_ca_model(tmp_path):
    """The source-only model is a plain EncoderDecoder: ``load_from`` its checkpoint (mmengine's
    non-strict load) fills the adapted model's whole segmentor, ``generator.segmentor.``; only
    the new domain classifier starts from its initialisation."""
    torch.manual_seed(0)
    source_only = MODELS.build(tiny_model_cfg()['segmentor'])
    path = str(tmp_path / 'iter_2.pth')
    torch.save(dict(state_dict=source_only.state_dict(), meta=dict()), path)
    adapted = MODELS.build(tiny_model_cfg(
        adaptations=dict(ga_cfg(), **ca_cfg(write_stats(tmp_path / 'stats.json')))))
    discriminator = {k: v.clone() for k, v in adapted.discriminators.state_dict().items()}
    load_checkpoint(adapted, path, map_location='cpu')
    expected = source_only.state_dict()
    loaded = adapted.segmentor.state_dict()
    assert loaded.keys() == expected.keys()
    assert all(torch.equal(loaded[k], expected[k]) for k in expected)
    missing = set(adapted.state_dict()) - {'generator.segmentor.' + k for k in expected}
    # the new domain classifier, and the class-size statistics, which keep the file's values
    stats = {f'generator.adaptations.ca.loss.{n}' for n in ('alpha', 'delta', 'gamma')}
    assert stats <= missing and all(k.startswith('discriminators.ga.') for k in missing - stats)
    assert adapted.generator.adaptations['ca'].loss.alpha[0].item() == pytest.approx(0.3)
    assert all(torch.equal(v, discriminator[k])
               for k, v in adapted.discriminators.state_dict().items())
