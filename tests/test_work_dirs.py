"""Default work dirs of tools/train.py and tools/test.py: every name of a config trains into the
directory of the file that holds it, so an MMSeg-scheme alias and its short name share one run
(the one ``load_from`` and the config headers name); ``--work-dir`` still overrides it."""
import glob
import importlib.util
import os.path as osp
import sys
from types import ModuleType
from typing import List

import pytest

from mmseg_uda.utils import alias_target
from tests.conftest import REPO

CONFIGS = osp.join(REPO, 'configs')
SHORT = osp.join(CONFIGS, 'patch_align', 'gta2cs_1xb1.py')
SCHEME = osp.join(CONFIGS, 'patch_align',
                  'patch-align_deeplabv2-r101_1xb1-150k_gta5-720x1280_cityscapes-512x1024.py')
#: The alias users type: ``gta2cs.py`` -> ``gta2cs_1xb1.py``.
TYPED = osp.join(CONFIGS, 'patch_align', 'gta2cs.py')


def load_tool(name: str) -> ModuleType:
    """tools/<name>.py as a module, to build configs exactly as its command line does."""
    spec = importlib.util.spec_from_file_location(f'mmseg_uda_{name}_tool',
                                                  osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def work_dir(monkeypatch: pytest.MonkeyPatch, tool: str, argv: List[str]) -> str:
    """The ``work_dir`` of the config that ``tools/<tool>.py ARGV`` builds (nothing is run)."""
    module = load_tool(tool)
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [f'tools/{tool}.py', *argv])
    return module.build_config(module.parse_args()).work_dir


@pytest.mark.parametrize('tool', ['train', 'test'])
@pytest.mark.parametrize('config', [SHORT, SCHEME, TYPED], ids=['short', 'scheme', 'typed'])
def test_every_name_of_a_config_uses_the_short_name_work_dir(monkeypatch, tool, config):
    checkpoint = ['work_dirs/gta2cs_1xb1/iter_150000.pth'] if tool == 'test' else []
    assert work_dir(monkeypatch, tool, [config, *checkpoint]) == './work_dirs/gta2cs_1xb1'


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_work_dir_option_overrides_the_alias(monkeypatch, tmp_path, tool):
    checkpoint = ['work_dirs/gta2cs_1xb1/iter_150000.pth'] if tool == 'test' else []
    argv = [SCHEME, *checkpoint, '--work-dir', str(tmp_path / 'mine')]
    assert work_dir(monkeypatch, tool, argv) == str(tmp_path / 'mine')


def test_a_config_that_is_not_an_alias_keeps_its_own_name(tmp_path):
    """A user's config with one more key than an alias is no alias: its own name."""
    default_work_dir = load_tool('train').default_work_dir
    own = tmp_path / 'my_gta2cs.py'
    own.write_text(f"_base_ = ['{SHORT}']\ntrain_cfg = dict(max_iters=1000)\n")
    assert default_work_dir(str(own)) == './work_dirs/my_gta2cs'
    chained = tmp_path / 'alias_of_alias.py'
    chained.write_text("_base_ = ['./alias.py']\n")
    (tmp_path / 'alias.py').write_text("_base_ = ['./my_gta2cs.py']\n")
    assert default_work_dir(str(chained)) == './work_dirs/my_gta2cs'


def test_every_shipped_alias_trains_into_the_directory_of_a_config_beside_it():
    """The directory is named after a config of the alias's folder that is not an alias."""
    default_work_dir = load_tool('train').default_work_dir
    aliases = [p for p in glob.glob(osp.join(CONFIGS, '*', '*.py')) if alias_target(p)]
    assert len(aliases) > 50
    for alias in aliases:
        name = osp.basename(default_work_dir(alias))
        holder = osp.join(osp.dirname(alias), f'{name}.py')
        assert name != osp.basename(alias)[:-3] and osp.isfile(holder), alias
        assert alias_target(holder) is None, alias


def test_a_work_dir_is_not_shared_by_two_configs_of_one_name(tmp_path) -> None:
    """Same-name configs of two folders have one default work dir: the second config may not
    train over the first one's checkpoints; the same config (again, or by an alias) may."""
    train = load_tool('train')
    from mmseg_uda.engine import WORK_DIR_OWNER, check_work_dir_owner
    source_only = osp.join(CONFIGS, 'source_only', 'camvid_day2dusk_tiny.py')
    output_space = osp.join(CONFIGS, 'output_space', 'camvid_day2dusk_tiny.py')
    assert train.default_work_dir(source_only) == train.default_work_dir(output_space)
    run = str(tmp_path / 'camvid_day2dusk_tiny')
    check_work_dir_owner(run, source_only)
    with open(osp.join(run, WORK_DIR_OWNER)) as f:
        assert f.read() == 'source_only/camvid_day2dusk_tiny.py\n'
    check_work_dir_owner(run, output_space)  # no checkpoint yet: nothing to overwrite
    check_work_dir_owner(run, source_only)
    (tmp_path / 'camvid_day2dusk_tiny' / 'iter_600.pth').write_bytes(b'')
    check_work_dir_owner(run, source_only)  # training or resuming the same config again
    with pytest.raises(FileExistsError, match=r'configs/source_only/camvid_day2dusk_tiny\.py.*'
                       r'configs/output_space/camvid_day2dusk_tiny\.py.*--work-dir '
                       r'work_dirs/output_space_camvid_day2dusk_tiny'):
        check_work_dir_owner(run, output_space)
    # an alias is its target: the short name and the MMSeg-scheme name share a run
    alias_run = str(tmp_path / 'gta2cs_1xb1')
    check_work_dir_owner(alias_run, SHORT)
    (tmp_path / 'gta2cs_1xb1' / 'iter_10.pth').write_bytes(b'')
    for name in (SCHEME, TYPED):
        check_work_dir_owner(alias_run, name)
