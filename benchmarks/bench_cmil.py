"""Cost of category-specific adaptation (CA) next to the segmentation forward, in one run.

    python benchmarks/bench_cmil.py [--model r101|vgg16] [--batch 1] [--height 512]
        [--width 1024] [--repeats 5] [--seg-repeats 1] [--stats FILE]

FCNs in the Wild (Hoffman et al. 2016, Sec. 3.2) adds, per target image, the constrained
multiple-instance loss: a dual solve for the latent distribution closest to the prediction under
the class-size constraints (Pathak et al., ICCV 2015), then the cross-entropy towards it. This
script builds the model of the GTA5 -> Cityscapes GA+CA config (``--model r101``:
``configs/fcn_wild/gta2cs_deeplabv2_r101_ga_ca.py``, ``vgg16``: ``gta2cs_vgg16_ga_ca.py``) with
random weights and, on one random batch of ``--batch`` images of ``--height`` x ``--width``
(the config's 1024x512 Cityscapes input by default), prints per image:

- the segmentation forward (backbone + decode head, ``torch.no_grad``, eval mode);
- the solve alone (``solve_latent_distribution``, with its number of dual steps);
- solve + loss: ``CategoryAdaptation.forward`` (presence, solve, loss, on the grid the config
  configures, ``output_stride`` 8: 128x64 cells) and the loss's backward to the logits.

The class-size statistics are the ``--stats`` file if given (e.g. ``work_dirs/class_stats/
gta5.json``), else fixed GTA5-like values (δ_c typical class fractions, α_c = δ_c / 4,
γ_c = 2 δ_c), with which a randomly initialised network's near-uniform prediction violates the
bounds of most classes, so the solver does real work. CPU threads: torch's default (set
``OMP_NUM_THREADS`` to pin it).
"""
import argparse
import os.path as osp
import sys
import tempfile
import time
from typing import Callable, Dict, List

import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401
from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402
from mmseg.utils import register_all_modules  # noqa: E402
from mmseg_uda.class_stats import ClassSizeStats  # noqa: E402
from mmseg_uda.utils import drop_pretrained  # noqa: E402
from mmseg_uda.models.losses.constrained_mil import solve_latent_distribution  # noqa: E402

CONFIGS = {
    'r101': 'configs/fcn_wild/gta2cs_deeplabv2_r101_ga_ca.py',
    'vgg16': 'configs/fcn_wild/gta2cs_vgg16_ga_ca.py',
}
#: Typical per-image fractions of the 19 Cityscapes classes in GTA5 (for timing only).
TYPICAL_DELTA = (0.30, 0.08, 0.20, 0.02, 0.01, 0.015, 0.002, 0.002, 0.12, 0.03, 0.15, 0.005,
                 0.001, 0.05, 0.02, 0.01, 0.005, 0.001, 0.001)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='CMIL solve + loss vs segmentation forward')
    parser.add_argument('--model', choices=sorted(CONFIGS), default='r101')
    parser.add_argument('--batch', type=int, default=1, help='images per batch')
    parser.add_argument('--height', type=int, default=512)
    parser.add_argument('--width', type=int, default=1024)
    parser.add_argument('--repeats', type=int, default=5, help='timed CMIL repetitions')
    parser.add_argument('--seg-repeats', type=int, default=1,
                        help='timed segmentation forwards (each costs seconds on a CPU)')
    parser.add_argument('--stats', help='class-size statistics file (default: GTA5-like values)')
    args = parser.parse_args()
    for name in ('batch', 'height', 'width', 'repeats', 'seg_repeats'):
        if getattr(args, name) < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be >= 1')
    return args


def timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Mean wall time (s) of ``fn`` over ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[args.model]))
    drop_pretrained(cfg.model)
    ca_cfg = cfg.model.adaptations.ca
    classes = list(DATASETS.get(ca_cfg.classes).METAINFO['classes'])
    if args.stats:
        ca_cfg.stats_file = args.stats
    else:
        delta = list(TYPICAL_DELTA)
        stats = ClassSizeStats(classes, [d / 4 for d in delta], delta,
                               [min(1.0, 2 * d) for d in delta], [1] * len(classes), 1,
                               dataset='GTA5-like values (bench_cmil.py)')
        ca_cfg.stats_file = osp.join(tempfile.mkdtemp(), 'stats.json')
        stats.save(ca_cfg.stats_file)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)  # PyTorch's default initialisation
    model.eval()
    generator = model.generator
    ca = generator.adaptations['ca']

    n, h, w = args.batch, args.height, args.width
    inputs = torch.randn(n, 3, h, w)
    samples: List[SegDataSample] = [
        SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w))) for _ in range(n)
    ]
    print(f'model: {args.model} ({CONFIGS[args.model]}), random weights; batch {n} x {h}x{w}; '
          f'torch threads {torch.get_num_threads()}', flush=True)

    outputs: Dict[str, object] = {}

    def segment() -> None:
        with torch.no_grad():
            outputs.update(generator.segmentor_outputs(inputs, need_aux=False))

    seg_time = timed(segment, args.seg_repeats, warmup=0)
    logits = outputs['logits'].detach()
    outputs['input_shape'] = (h, w)
    grid = ca.constraint_grid((h, w), logits.shape[-2:])
    print(f'logits {tuple(logits.shape)}; constraints on a {grid[0]}x{grid[1]} grid '
          f'(output_stride {ca.output_stride})', flush=True)

    log_p = torch.log_softmax(logits, dim=1)
    present = torch.ones(n, logits.shape[1], dtype=torch.bool)
    loss_module = ca.loss
    solver_kwargs = {k: v for k, v in loss_module.solver_cfg.items()
                     if k in ('slack_weight', 'num_iters', 'step_size', 'max_step', 'tol')}
    solution = solve_latent_distribution(log_p, loss_module.delta, loss_module.gamma, present,
                                         **solver_kwargs)

    def solve() -> None:
        solve_latent_distribution(log_p, loss_module.delta, loss_module.gamma, present,
                                  **solver_kwargs)

    def solve_and_loss() -> None:
        x = logits.clone().requires_grad_(True)
        loss = ca(dict(outputs, logits=x), samples, 'target')[0]['loss_cmil']
        loss.backward()

    solve_time = timed(solve, args.repeats)
    cmil_time = timed(solve_and_loss, args.repeats)
    rows = [('segmentation forward (no_grad)', seg_time),
            (f'CMIL solve alone ({solution.num_iters} dual steps, residual '
             f'{solution.residual:.1e})', solve_time),
            ('CMIL solve + loss forward/backward', cmil_time)]
    width = max(len(name) for name, _ in rows)
    print(f'{"per image":<{width}}  {"ms":>10}  {"vs forward":>10}')
    for name, seconds in rows:
        print(f'{name:<{width}}  {1000 * seconds / n:>10.1f}  {seconds / seg_time:>9.2%}')


if __name__ == '__main__':
    main()
