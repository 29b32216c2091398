"""Train a segmentor (stock MMSegmentation or mmseg_uda) with mmengine's Runner.

Same interface as MMSegmentation 1.x ``tools/train.py``; on top of it, ``mmseg_uda`` is imported
(registering its components and the checkpoint loader fix), ``--launcher pytorch`` also works on
CPU-only machines, and ``--amp`` handles multi-optimizer ``optim_wrapper`` configs.

    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [args]
"""
import argparse
import glob
import os
import os.path as osp

import mmseg_uda  # noqa: F401  (registers mmseg_uda's components)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from mmseg_uda.engine import (add_unsafe_load_flag, check_resume, distributed_session, enable_amp,
                              setup_distributed)
from mmseg_uda.utils import alias_target


def parse_args() -> argparse.Namespace:
    """Parse the command line; set ``LOCAL_RANK`` from ``--local-rank`` if torchrun did not."""
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    add_unsafe_load_flag(parser)
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (needs a CUDA device)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank; torchrun sets
    # the LOCAL_RANK environment variable instead.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


#: File in a work dir naming the config whose run writes there (``<folder>/<file>`` of the
#: config that holds the settings, an alias followed to it).
WORK_DIR_OWNER = '.config_of_this_run'


def resolve_alias(config: str) -> str:
    """The config file that holds the settings of ``config``: an alias
    (:func:`mmseg_uda.utils.alias_target`) followed to the first file that is not one."""
    seen = set()
    while osp.isfile(config) and config not in seen:
        seen.add(config)
        target = alias_target(config)
        if target is None:
            break
        config = osp.normpath(osp.join(osp.dirname(config), target))
    return config


def config_id(config: str) -> str:
    """``<folder>/<file>`` of the config holding the settings of ``config``."""
    config = resolve_alias(osp.abspath(config))
    return f'{osp.basename(osp.dirname(config))}/{osp.basename(config)}'


def check_work_dir_owner(work_dir: str, config: str) -> None:
    """Refuse to train ``config`` into a work dir holding another config's checkpoints.

    Configs of one name in several folders (``source_only/camvid_day2dusk_tiny.py`` and
    ``output_space/camvid_day2dusk_tiny.py``) have one default work dir, and a run of the second
    would overwrite the checkpoints of the first (``iter_600.pth``) that other configs
    ``load_from``. The first run to write there records its config in :data:`WORK_DIR_OWNER`;
    another config is an error before anything is built. Resuming, or training again, the same
    config is allowed, as is a work dir without checkpoints or without the record.

    Raises:
        FileExistsError: naming the work dir, both configs and the fix (``--work-dir``).
    """
    owner_file = osp.join(work_dir, WORK_DIR_OWNER)
    this = config_id(config)
    if osp.isfile(owner_file):
        with open(owner_file) as f:
            owner = f.read().strip()
        if owner != this and glob.glob(osp.join(work_dir, '*.pth')):
            raise FileExistsError(
                f'work_dir {work_dir!r} holds the checkpoints of configs/{owner}; training '
                f'configs/{this} there would overwrite them. Give this run its own directory '
                f'(--work-dir work_dirs/{osp.splitext(this.replace("/", "_"))[0]}).')
    if int(os.environ.get('RANK', '0')) == 0:
        os.makedirs(work_dir, exist_ok=True)
        with open(owner_file, 'w') as f:
            f.write(this + '\n')


def default_work_dir(config: str) -> str:
    """``./work_dirs/<name>``: the work dir of a config given neither ``--work-dir`` nor a
    ``work_dir`` key.

    ``name`` is the file name without ``.py`` of the config that holds the settings: for an alias
    (:func:`mmseg_uda.utils.alias_target`, e.g. the MMSeg-scheme names and
    ``configs/patch_align/gta2cs.py``), the file it names, followed to the first that is not an
    alias. Every name of one config thus trains into one directory, the one that the configs
    starting from another run (``load_from``) and the commands in the config headers name.
    ``tools/test.py`` uses the same directory.
    """
    return osp.join('./work_dirs', osp.splitext(osp.basename(resolve_alias(config)))[0])


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line options to it.

    ``--resume`` with nothing to resume in the work dir is an error here (:func:`check_resume`),
    before any model or data is built.
    """
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # work_dir priority: CLI > config file > ./work_dirs/<config name> (an alias: its target's)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)
    if args.amp:
        enable_amp(cfg)
    cfg.resume = args.resume
    check_resume(cfg)
    setup_distributed(cfg, args.launcher)
    return cfg


def main() -> None:
    """Build the runner from the config and train."""
    args = parse_args()
    cfg = build_config(args)
    check_work_dir_owner(cfg.work_dir, args.config)
    with distributed_session():
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        runner.train()


if __name__ == '__main__':
    main()
