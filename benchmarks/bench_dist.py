"""1 vs 2 CPU processes (gloo DDP): training-step throughput and gradient-sync overhead.

    python benchmarks/bench_dist.py [--methods output_space patch] [--procs 1 2] [--batch 4]
        [--iters 10] [--warmup 2] [--height 96] [--width 192] [--work-dir DIR]

For output-space adaptation and patch-level alignment on the demo model
(``configs/demo/output_space_synthetic.py``, ``configs/demo/patch_align_synthetic.py``), each
process count is one run of fresh processes started the way ``tools/dist_train.sh`` starts
``tools/train.py``: torchrun's environment variables, then the same launcher code
(:func:`mmseg_uda.engine.setup_distributed` for the CPU process group and DDP wrapper config,
mmengine's ``Runner`` for the model, its DDP wrapper and the optimizers,
:func:`mmseg_uda.engine.distributed_session` for a clean shutdown). One process runs without a
process group, as ``tools/train.py`` does. Every process is single-threaded
(``torch.set_num_threads(1)``, ``OMP_NUM_THREADS=1``).

Each process takes one batch of ``--batch`` samples per process from the config's own train
dataloader on generated synthetic data (``tools/generate_synthetic_data.py``'s generator), then
times ``model.train_step`` on it past the warm-up (every adaptation active), so data loading is
not measured (``benchmarks/bench_dataloader.py`` measures it). Patch alignment's modes file is
built first from the synthetic source labels with ``tools/build_patch_modes.py``, as
``tools/run_demo.py`` does.

Printed side by side: s/iter (the slowest rank's mean), samples/s per process and in total (a
sample is one source plus one target image), and the sync overhead: the N-process step time over
the 1-process step time at the same per-process batch (1.00 = free; with N processes on N
otherwise idle cores the excess is gradient all-reduce and waiting for the slower rank).
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import tempfile
import time
import warnings
from typing import Dict, List, Optional

import torch
import torch.multiprocessing as mp
from torch.distributed import TCPStore

from _args import at_least  # benchmarks/_args.py

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.join(REPO, 'tools'))

#: Seconds a collective may wait for the other ranks before the run fails.
DIST_TIMEOUT_S = 120

#: method -> demo config.
METHODS = {
    'output_space': 'configs/demo/output_space_synthetic.py',
    'patch': 'configs/demo/patch_align_synthetic.py',
}


def config_options(args: argparse.Namespace, data_root: str, work_dir: str,
                   modes_file: Optional[str]) -> Dict[str, object]:
    """``--cfg-options`` for a demo config: the synthetic data, batch, no workers, quiet logs."""
    options = {
        'train_dataloader.batch_size': args.batch,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.source.data_root': osp.join(data_root, 'source'),
        'train_dataloader.dataset.target.data_root': osp.join(data_root, 'target'),
        'val_dataloader.dataset.data_root': osp.join(data_root, 'target'),
        'work_dir': work_dir,
        'log_level': 'WARNING',
    }
    if modes_file is not None:
        options['model.adaptations.patch.modes_file'] = modes_file
    return options


def worker(rank: int, world_size: int, port: int, config: str, options: dict, warmup: int,
           iters: int, result_prefix: str) -> None:
    """One training process: build as tools/train.py does, time ``train_step`` on one batch.

    Writes ``dict(rank, step)`` (mean s/iter) to ``<result_prefix>_rank<rank>.json``.
    """
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size),
                      MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), OMP_NUM_THREADS='1',
                      # the parent's store, as torchrun's agent: join it, do not host one
                      TORCHELASTIC_USE_AGENT_STORE='True')
    torch.set_num_threads(1)
    # Every process would repeat the libraries' deprecation warnings around the figures.
    warnings.simplefilter('ignore')
    import mmseg_uda  # noqa: F401  (registers the components)
    from mmengine.config import Config
    from mmengine.logging import MessageHub
    from mmengine.runner import Runner

    from mmseg_uda.engine import distributed_session, setup_distributed

    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.merge_from_dict(options)
    cfg.launcher = 'pytorch' if world_size > 1 else 'none'
    setup_distributed(cfg, cfg.launcher)
    with distributed_session():
        runner = Runner.from_cfg(cfg)
        optim = runner.build_optim_wrapper(cfg.optim_wrapper)
        batch = next(iter(runner.build_dataloader(cfg.train_dataloader, seed=rank)))
        MessageHub.get_current_instance().update_info('iter', cfg.model.get('warmup_iters', 0))
        times = []
        for i in range(warmup + iters):
            t0 = time.perf_counter()
            log_vars = runner.model.train_step(copy.deepcopy(batch), optim)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        if not any(k.startswith('adv.') for k in log_vars):
            raise RuntimeError(f'{config}: no adversarial loss in the timed steps: '
                               f'{sorted(log_vars)}')
    with open(f'{result_prefix}_rank{rank}.json', 'w') as f:
        json.dump(dict(rank=rank, step=sum(times) / len(times)), f)


def run(method: str, world_size: int, args: argparse.Namespace, data_root: str, folder: str,
        modes_file: Optional[str]) -> float:
    """Start ``world_size`` processes for ``method``; returns the slowest rank's s/iter."""
    prefix = osp.join(folder, f'{method}_{world_size}')
    options = config_options(args, data_root, prefix, modes_file if method == 'patch' else None)
    # A stuck collective fails the run after this long instead of hanging it.
    options['env_cfg.dist_cfg.timeout'] = DIST_TIMEOUT_S
    store = TCPStore('127.0.0.1', 0, world_size, is_master=True, wait_for_workers=False)
    mp.start_processes(worker, nprocs=world_size, start_method='spawn', join=True,
                       args=(world_size, store.port, METHODS[method], options, args.warmup,
                             args.iters, prefix))
    steps = []
    for rank in range(world_size):
        with open(f'{prefix}_rank{rank}.json') as f:
            steps.append(json.load(f)['step'])
    return max(steps)


def prepare_data(args: argparse.Namespace, folder: str) -> str:
    """Generate the synthetic source/target data: a batch for every rank, and for patch
    alignment at least 16 images (K-means needs 10 patches per mode at initialisation)."""
    from mmseg_uda.datasets.synthetic import generate_synthetic_uda_data
    data_root = osp.join(folder, 'data')
    num_train = max(16 if 'patch' in args.methods else 1, args.batch * max(args.procs))
    generate_synthetic_uda_data(data_root, num_train=num_train, num_val=1, width=args.width,
                                height=args.height)
    return data_root


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', nargs='+', choices=list(METHODS), default=list(METHODS))
    parser.add_argument('--procs', nargs='+', type=at_least(1), default=[1, 2],
                        help='process counts; the first is the reference of the overhead ratio')
    parser.add_argument('--batch', type=at_least(1), default=4, help='samples per process')
    parser.add_argument('--iters', type=at_least(1), default=10, help='timed steps')
    parser.add_argument('--warmup', type=at_least(0), default=2, help='untimed steps first')
    parser.add_argument('--height', type=at_least(32), default=96, help='synthetic image height')
    parser.add_argument('--width', type=at_least(64), default=192, help='synthetic image width')
    parser.add_argument('--work-dir', help='keep data, modes file and runs here (default: a '
                        'temporary folder)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    os.environ['OMP_NUM_THREADS'] = '1'  # inherited by the spawned processes
    with tempfile.TemporaryDirectory() as tmp:
        folder = osp.abspath(args.work_dir or tmp)
        os.makedirs(folder, exist_ok=True)
        data_root = prepare_data(args, folder)
        modes_file = None
        if 'patch' in args.methods:
            from run_demo import build_patch_modes
            modes_file = osp.join(folder, 'patch_modes_k50.pth')
            build_patch_modes(METHODS['patch'], data_root, modes_file)
        load = ', '.join(f'{x:.2f}' for x in os.getloadavg())
        print(f'batch {args.batch} per process at {args.width}x{args.height}, mean of '
              f'{args.iters} steps after {args.warmup}, 1 thread per process, '
              f'{os.cpu_count()} CPUs (load average {load}); a sample = 1 source + 1 target '
              'image', flush=True)
        rows = []
        for method in args.methods:
            reference = None
            for world_size in args.procs:
                step = run(method, world_size, args, data_root, folder, modes_file)
                reference = reference or step
                rows.append((method, world_size, step, reference))
                print(f'  {method}, {world_size} process(es): {step:.3f} s/iter', flush=True)
    ref_procs = args.procs[0]
    print(f'\n| method | processes | batch/process | s/iter | samples/s per process | '
          f'samples/s total | step time vs {ref_procs} process(es) |')
    print('|---|---|---|---|---|---|---|')
    for method, world_size, step, reference in rows:
        print(f'| {method} | {world_size} | {args.batch} | {step:.3f} | {args.batch / step:.2f} '
              f'| {world_size * args.batch / step:.2f} | x{step / reference:.2f} |')


if __name__ == '__main__':
    main()
