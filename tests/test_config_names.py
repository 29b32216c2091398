"""MMSeg-scheme names of the paper configs: two-line aliases beside the short names.

Each alias merges to exactly its target's config, each paper config has one, its name is the
one ``tools/misc/config_names.py`` derives from the target's merged values, and the tool's
``--check`` passes here and names a wrongly named alias.
"""
import glob
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from mmengine.config import Config

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
import config_names  # noqa: E402

CONFIGS = osp.join(REPO, 'configs')
TOOL = osp.join(REPO, 'tools', 'misc', 'config_names.py')
#: Every alias of the paper folders, the short ones (patch_align/gta2cs.py) included.
ALIASES = sorted(osp.relpath(p, CONFIGS) for folder in config_names.PAPER_FOLDERS
                 for p in glob.glob(osp.join(CONFIGS, folder, '*.py'))
                 if config_names.alias_target(p))
SCHEME_ALIASES = [a for a in ALIASES if config_names.SCHEME.match(osp.basename(a)[:-3])]
PAPER = config_names.paper_configs(CONFIGS)


def target_of(alias: str) -> str:
    path = osp.join(CONFIGS, alias)
    return osp.normpath(osp.join(osp.dirname(path), config_names.alias_target(path)))


def alias_id(alias: str) -> str:
    """``folder/target`` and, for a short alias, ``<-name`` (the scheme names exceed pytest's
    100-character ids)."""
    target = osp.relpath(target_of(alias), CONFIGS)[:-3]
    name = osp.basename(alias)[:-3]
    return target if config_names.SCHEME.match(name) else f'{target}<-{name}'


def test_every_paper_folder_has_aliases():
    assert len(SCHEME_ALIASES) == len(PAPER) == len(config_names.ROWS)
    assert 'patch_align/gta2cs.py' in ALIASES  # the short alias users type


@pytest.mark.parametrize('alias', ALIASES, ids=alias_id)
def test_alias_merges_to_its_target(alias):
    """The merged dicts are equal: no value of these configs depends on its file's name."""
    merged = Config.fromfile(osp.join(CONFIGS, alias))
    assert merged.to_dict() == Config.fromfile(target_of(alias)).to_dict()
    assert merged.model.type in ('UDASegmentor', 'EncoderDecoder')  # source only: plain MMSeg


@pytest.mark.parametrize('key', PAPER)
def test_every_paper_config_has_an_alias(key):
    folder, short = key.split('/')
    named = [a for a in SCHEME_ALIASES
             if a.startswith(folder + '/') and target_of(a) == osp.join(CONFIGS, f'{key}.py')]
    assert len(named) == 1, f'{key}.py: {len(named)} scheme aliases {named}'
    with open(osp.join(CONFIGS, named[0])) as f:
        lines = f.read().splitlines()
    assert len(lines) == 2 and lines[0].startswith('# ') and \
        lines[1] == f"_base_ = ['./{short}.py']"


@pytest.mark.parametrize('alias', SCHEME_ALIASES, ids=alias_id)
def test_alias_name_is_derived_from_its_target(alias):
    assert config_names.scheme_name(target_of(alias)) == osp.basename(alias)[:-3]


def test_scheme_name_reads_the_merged_values(tmp_path):
    """A config that changes the schedule, the batch and the patch losses of gta2cs_1xb1.py
    gets a name with those values, not its file's."""
    base = osp.join(CONFIGS, 'patch_align', 'gta2cs_1xb1.py')
    (tmp_path / 'patch_align').mkdir()
    path = tmp_path / 'patch_align' / 'gta2cs_1xb1.py'
    path.write_text(f"_base_ = ['{base}']\n"
                    'train_cfg = dict(max_iters=37500)\n'
                    'train_dataloader = dict(batch_size=2)\n'
                    'model = dict(adaptations=dict(patch=dict(loss_weight_adv=0.0)))\n')
    with pytest.raises(ValueError, match='gta2cs_1xb1 says batch 1, its train_dataloader has '
                                         'batch_size 2'):
        config_names.scheme_name(str(path))
    renamed = path.rename(tmp_path / 'patch_align' / 'gta2cs_2xb2.py')
    assert config_names.scheme_name(str(renamed)) == (
        'patch-align-no-adv_deeplabv2-r101_2xb2-37500_gta5-720x1280_cityscapes-512x1024')


def test_check_passes():
    proc = subprocess.run([sys.executable, TOOL, '--check'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith(f'{len(PAPER)} paper configs, 0 errors')


def test_check_names_a_wrongly_named_alias(tmp_path):
    """A copy of configs/ passes; an alias of gta2cs_1xb1.py named with 300k iterations fails
    the check with a message naming that file and the name its target derives."""
    root = tmp_path / 'configs'
    shutil.copytree(CONFIGS, root)
    assert config_names.check(str(root)) == []
    wrong = root / 'patch_align' / \
        'patch-align_deeplabv2-r101_1xb1-300k_gta5-720x1280_cityscapes-512x1024.py'
    wrong.write_text("# GTA5 -> Cityscapes, patch alignment\n_base_ = ['./gta2cs_1xb1.py']\n")
    errors = config_names.check(str(root))
    assert errors == [f'{wrong}: named {wrong.name}, but its target ./gta2cs_1xb1.py derives '
                      'patch-align_deeplabv2-r101_1xb1-150k_gta5-720x1280_cityscapes-512x1024.py']


def test_shipped_configs_leave_the_aliases_out_unless_asked():
    """The config lists of the smoke tests and benchmarks hold each config once: without the
    aliases, which merge to a listed config; with ``aliases=True`` every file."""
    from mmseg_uda.testing import shipped_configs
    listed = set(shipped_configs(REPO))
    every = set(shipped_configs(REPO, aliases=True))
    aliases = {osp.join('configs', a) for a in ALIASES}
    assert aliases and aliases <= every and not aliases & listed
    assert every - listed == aliases | {p for p in every if config_names.alias_target(
        osp.join(REPO, p))}
    for alias in aliases:
        assert osp.normpath(osp.join(osp.dirname(alias), config_names.alias_target(
            osp.join(REPO, alias)))) in listed
