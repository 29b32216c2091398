"""Test (and evaluate) a segmentor checkpoint with mmengine's Runner.

Same interface as MMSegmentation 1.x ``tools/test.py``; on top of it, ``mmseg_uda`` is imported
(registering its components and the checkpoint loader fix) and ``--launcher pytorch`` also works on
CPU-only machines.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR] [--show-dir DIR] [--tta]
        [--adabn]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [args]
"""
import argparse
import os
import os.path as osp
import sys

import mmseg_uda  # noqa: F401  (registers mmseg_uda's components)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from mmseg_uda.engine import (AdaBNHook, add_unsafe_load_flag, distributed_session,
                              load_checkpoint_for_testing, setup_distributed)

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from train import default_work_dir  # noqa: E402  (./train.py: training and testing share it)


#: Config keys of training, set to None for testing (the Runner takes them all or none).
TRAINING_KEYS = ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler')


def parse_args() -> argparse.Namespace:
    """Parse the command line; set ``LOCAL_RANK`` from ``--local-rank`` if torchrun did not."""
    parser = argparse.ArgumentParser(description='MMSeg test (and eval) a model')
    add_unsafe_load_flag(parser)
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='if specified, the evaluation metric results will be dumped into the directory as '
        'json')
    parser.add_argument(
        '--out', type=str, help='the directory to save output prediction for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved. If specified, it will be '
        'automatically saved to the work_dir/timestamp/show_dir')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
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
    parser.add_argument('--tta', action='store_true', help='Test time augmentation')
    parser.add_argument(
        '--adabn',
        action='store_true',
        help='AdaBN: re-estimate BatchNorm statistics on the target training images before '
        'testing (AdaBNHook; the config\'s UDADataset target or top-level target_train)')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank; torchrun sets
    # the LOCAL_RANK environment variable instead.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg: Config, args: argparse.Namespace) -> Config:
    """Turn on drawing (and showing / saving) in the config's ``visualization`` hook.

    Raises:
        RuntimeError: If ``default_hooks`` has no ``visualization`` hook.
    """
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError('--show/--show-dir need a VisualizationHook in default_hooks, e.g. '
                           "default_hooks.visualization=dict(type='SegVisualizationHook')")
    visualization_hook = default_hooks['visualization']
    visualization_hook['draw'] = True
    visualization_hook['interval'] = 1  # every test image, not SegVisualizationHook's 1 in 50
    if args.show:
        visualization_hook['show'] = True
        visualization_hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def build_config(args: argparse.Namespace) -> Config:
    """Load the config and apply the command-line options to it."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # work_dir priority: CLI > config file > the training run's (an alias: its target's)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)
    # loaded strictly by load_checkpoint_for_testing, not through the runner's load_from
    cfg.load_from = None
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        missing = [key for key in ('tta_pipeline', 'tta_model') if key not in cfg]
        if missing:
            raise KeyError(f'--tta needs {" and ".join(missing)} in the config {args.config}, '
                           "e.g. tta_model = dict(type='SegTTAModel') and a tta_pipeline of "
                           'TestTimeAug (see MMSeg\'s configs/_base_/datasets/cityscapes.py)')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.adabn:
        # the target images are resolved now, from the training data the runner will not get
        target = AdaBNHook().resolve_dataset(cfg)
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='AdaBNHook', dataset=target)]
    # Testing builds no training loop: MMSeg's SegVisualizationHook reads runner.iter, which
    # would otherwise build the training dataloader (and fail where the training data is absent).
    for key in TRAINING_KEYS:
        cfg[key] = None
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
        # IoUMetric creates output_dir on rank 0 only; other ranks may write into it first.
        os.makedirs(args.out, exist_ok=True)
    setup_distributed(cfg, args.launcher)
    return cfg


def main() -> None:
    """Build the runner from the config and test."""
    args = parse_args()
    cfg = build_config(args)
    with distributed_session():
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        load_checkpoint_for_testing(runner, args.checkpoint)
        runner.test()


if __name__ == '__main__':
    main()
