"""Train a segmentor (stock MMSegmentation or mmseg_uda) with mmengine's Runner.

Same interface as MMSegmentation 1.x ``tools/train.py``; on top of it, ``mmseg_uda`` is imported
(registering its components and the checkpoint loader fix), ``--launcher pytorch`` also works on
CPU-only machines, and ``--amp`` handles multi-optimizer ``optim_wrapper`` configs.

    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG NUM_PROCS [args]
"""
import argparse
import os
import os.path as osp

import mmseg_uda  # noqa: F401  (registers mmseg_uda's components)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from mmseg_uda.engine import (add_unsafe_load_flag, check_resume, check_work_dir_owner,
                              distributed_session, enable_amp, setup_distributed)
from mmseg_uda.utils import resolve_alias


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
