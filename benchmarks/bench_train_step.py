"""Time one UDA training step per method, side by side, on the same model and batch.

    python benchmarks/bench_train_step.py [--config CFG] [--batch 8] [--height 96] [--width 192]

Prints the mean wall time of ``UDASegmentor.train_step`` (after warm-up iterations) for
source-only, output-space adaptation with the discriminator at the input resolution
(AdaptSegNet) and at the head's output resolution, and the ratio of each to source-only.
"""
import argparse
import copy
import os.path as osp
import sys
import time

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.structures import PixelData

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401
from mmseg.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402
from mmseg.utils import register_all_modules  # noqa: E402

VARIANTS = {
    'source only': None,
    'output space, D at input size': dict(
        output=dict(type='OutputSpaceAdaptation', disc_input_size='input')),
    'output space, D at logits size': dict(
        output=dict(type='OutputSpaceAdaptation', disc_input_size='logits',
                    discriminator=dict(type='ConvDiscriminator', channels=(64, 128)))),
}


def batch(n: int, h: int, w: int, labels: bool, num_classes: int) -> dict:
    samples = []
    for _ in range(n):
        s = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        if labels:
            s.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, h, w)))
        samples.append(s)
    return dict(inputs=[torch.randint(0, 256, (3, h, w), dtype=torch.uint8) for _ in range(n)],
                data_samples=samples)


def time_variant(cfg: Config, adaptations, args) -> float:
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.adaptations = adaptations or {}
    model_cfg.warmup_iters = 0
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper).to_dict()
    optim_cfg.pop('constructor')
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='UDAOptimWrapperConstructor', optim_wrapper_cfg=optim_cfg))(model)
    num_classes = model.segmentor.decode_head.num_classes
    data = dict(source=batch(args.batch, args.height, args.width, True, num_classes),
                target=batch(args.batch, args.height, args.width, False, num_classes))
    MessageHub.get_current_instance().update_info('iter', 1)
    times = []
    for i in range(args.warmup + args.iters):
        t0 = time.perf_counter()
        model.train_step(copy.deepcopy(data), optim)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    return sum(times) / len(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/demo/output_space_synthetic.py')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--height', type=int, default=96)
    parser.add_argument('--width', type=int, default=192)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    args = parser.parse_args()
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(REPO, args.config))
    print(f'config {args.config}, batch {args.batch} x {args.height}x{args.width}, '
          f'{torch.get_num_threads()} threads, mean of {args.iters} steps')
    base = None
    for name, adaptations in VARIANTS.items():
        t = time_variant(cfg, adaptations, args)
        base = base or t
        print(f'{name:34s} {t * 1000:8.1f} ms/step   x{t / base:.2f} vs source only',
              flush=True)


if __name__ == '__main__':
    main()
