"""Package configs as ``_base_ = 'mmseg_uda::FOLDER/NAME.py'`` (mmseg_uda/registry.py, setup.py):
resolved in this editable install and in an unpacked wheel, and built in the ``mmseg_uda`` scope."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import mmengine.registry as root_registry
from mmengine.config import Config
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.registry import DefaultScope
from mmengine.utils import get_installed_path

import mmseg_uda  # noqa: F401  (registers the scope)
from tests.conftest import REPO

PACKAGE_CONFIG = 'output_space/camvid_day2dusk_tiny.py'
USER_CONFIG = f"""_base_ = ['mmseg_uda::{PACKAGE_CONFIG}']
train_cfg = dict(max_iters=10)
"""


def write_user_config(folder: Path) -> str:
    path = folder / 'my_camvid.py'
    path.write_text(USER_CONFIG)
    return str(path)


def test_mim_folder_is_the_checkout():
    """``.mim`` of the installed package is found through mmengine's own lookup and its
    configs and tools are the repository's (links in an editable install)."""
    mim = osp.join(get_installed_path(MODULE2PACKAGE['mmseg_uda']), '.mim')
    assert osp.realpath(mim) == osp.realpath(osp.join(REPO, 'mmseg_uda', '.mim'))
    for name in ('configs', 'tools', 'model-index.yml'):
        assert osp.realpath(osp.join(mim, name)) == osp.realpath(osp.join(REPO, name))


def test_user_config_inherits_a_package_config(tmp_path):
    cfg = Config.fromfile(write_user_config(tmp_path))
    package = Config.fromfile(osp.join(REPO, 'configs', PACKAGE_CONFIG))
    assert cfg.train_cfg.max_iters == 10 and package.train_cfg.max_iters != 10
    assert cfg.model.type == 'UDASegmentor' and cfg.model._scope_ == 'mmseg_uda'
    assert cfg.model.adaptations == package.model.adaptations
    assert cfg.train_dataloader.dataset.source.data_root == 'data/camvid_daydusk'


def test_package_scope_builds_mmseg_and_mmseg_uda_components(tmp_path):
    """Dicts of a ``mmseg_uda::`` base carry ``_scope_='mmseg_uda'``; mmengine's root registries
    (as the runner uses them) find them in the scope's registries, which resolve through
    MMSegmentation's."""
    cfg = Config.fromfile(write_user_config(tmp_path))
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = root_registry.MODELS.build(cfg.model)
        assert type(model).__name__ == 'UDASegmentor'
        assert type(model.segmentor).__name__ == 'EncoderDecoder'
        load = root_registry.TRANSFORMS.build(dict(cfg.test_pipeline[1]))
        assert type(load).__name__ == 'LoadCheckedAnnotations'
        metric = root_registry.METRICS.build(dict(cfg.val_evaluator))
        assert type(metric).__name__ == 'IoUMetric'
    assert cfg.test_pipeline[1]._scope_ == 'mmseg_uda'


def test_runner_builds_from_a_user_config_in_a_fresh_process(tmp_path):
    """The runner builds every part it builds up front (model, visualizer, hooks) from the
    scope's registries in a process that imported only mmseg_uda, so names
    of MMSeg modules mmseg_uda does not import itself (e.g. its visualizer) resolve too."""
    user = write_user_config(tmp_path)
    check = ('import mmseg_uda; from mmengine.config import Config; '
             'from mmengine.runner import Runner; '
             f'cfg = Config.fromfile({user!r}); cfg.work_dir = {str(tmp_path / "work")!r}; '
             'runner = Runner.from_cfg(cfg); '
             'print(type(runner.model).__name__, type(runner.visualizer).__name__, '
             '*sorted(type(h).__name__ for h in runner.hooks))')
    proc = subprocess.run([sys.executable, '-c', check], cwd=REPO, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, 'OMP_NUM_THREADS': '1', 'CUDA_VISIBLE_DEVICES': ''})
    assert proc.returncode == 0, proc.stderr[-3000:]
    model, visualizer, *hooks = proc.stdout.splitlines()[-1].split()
    assert (model, visualizer) == ('UDASegmentor', 'SegLocalVisualizer')
    assert {'SafeCheckpointHook', 'SegVisualizationHook', 'DataChecksHook'} <= set(hooks), hooks


def test_wheel_ships_configs_and_tools_for_mmseg_uda_scope(tmp_path):
    """A wheel built from the checkout holds copies under mmseg_uda/.mim; unpacked on its own
    (as pip installs a pure-Python wheel), it resolves the user config from those copies."""
    src = tmp_path / 'src'
    ignore = shutil.ignore_patterns('__pycache__', '*.egg-info', 'build')
    for name in ('mmseg_uda', 'configs', 'tools', 'requirements'):
        shutil.copytree(osp.join(REPO, name), src / name, symlinks=True, ignore=ignore)
    for name in ('setup.py', 'MANIFEST.in', 'README.md', 'model-index.yml'):
        shutil.copy(osp.join(REPO, name), src / name)
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(src), '--no-deps',
                    '--no-build-isolation', '-q', '-w', str(tmp_path / 'dist')], check=True,
                   cwd=src, timeout=300)
    wheel, = (tmp_path / 'dist').glob('mmseg_uda-*.whl')
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert z.read(f'mmseg_uda/.mim/configs/{PACKAGE_CONFIG}') == \
            Path(REPO, 'configs', PACKAGE_CONFIG).read_bytes()
        z.extractall(tmp_path / 'site')
    for name in ('model-index.yml', 'configs/_base_/default_runtime.py', 'tools/train.py',
                 'tools/dist_train.sh', 'tools/dataset_converters/camvid.py'):
        assert f'mmseg_uda/.mim/{name}' in names, name
    assert not os.path.islink(tmp_path / 'site' / 'mmseg_uda' / '.mim' / 'configs')
    user = write_user_config(tmp_path)
    check = ('import mmseg_uda; from mmengine.config import Config; '
             'from mmengine.config.utils import MODULE2PACKAGE; '
             'from mmengine.utils import get_installed_path; '
             "print(get_installed_path(MODULE2PACKAGE['mmseg_uda'])); "
             f"print(Config.fromfile({user!r}).model.type)")
    out = subprocess.run([sys.executable, '-c', check], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, check=True,
                         env={**os.environ, 'PYTHONPATH': str(tmp_path / 'site'),
                              'OMP_NUM_THREADS': '1'}).stdout.split()
    assert out == [str(tmp_path / 'site' / 'mmseg_uda'), 'UDASegmentor']
