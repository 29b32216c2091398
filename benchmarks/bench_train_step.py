"""Time one UDA training step per method, side by side, on the same model and batch.

    python benchmarks/bench_train_step.py [--config CFG] [--batch 8] [--height 96] [--width 192]
        [--patch-size 16] [--variants NAME ...]

For source-only, output-space adaptation (discriminator at the input resolution as in AdaptSegNet,
and at the head's output resolution), patch-level alignment (Tsai et al., ICCV 2019; K = 50,
random modes) and output space + patch, each in a fresh process on the same model config and
batch, prints the mean wall time of ``UDASegmentor.train_step`` after warm-up steps, its ratio to
source-only, and the peak memory (CUDA: ``max_memory_allocated``; CPU: the process's peak RSS,
which includes the model build, so compare differences).

For the patch-alignment variants it also times the patch modules on their own, on the same
batch: the head H forward and backward on both domains' logits, the mode assignment Γ(Ys), the
frozen-D adversarial forward/backward and the discriminator step on both domains. Their share of
the full step is printed (the target the issue sets: under 5 %).
"""
import argparse
import copy
import multiprocessing
import os.path as osp
import resource
import sys
import tempfile
import time
from typing import Dict, Optional

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
from mmseg_uda.label_stats import save_patch_modes  # noqa: E402
from mmseg_uda.utils import drop_pretrained  # noqa: E402

OUTPUT_AT_INPUT = dict(type='OutputSpaceAdaptation', disc_input_size='input')
OUTPUT_AT_LOGITS = dict(type='OutputSpaceAdaptation', disc_input_size='logits',
                        discriminator=dict(type='ConvDiscriminator', channels=(64, 128)))
PATCH = dict(type='PatchAlignment', num_modes=50, discriminator=dict(type='FCDiscriminator'))

VARIANTS = {
    'source only': {},
    'output space, D at input size': dict(output=OUTPUT_AT_INPUT),
    'output space, D at logits size': dict(output=OUTPUT_AT_LOGITS),
    'patch alignment': dict(patch=PATCH),
    'output space (logits) + patch': dict(output=OUTPUT_AT_LOGITS, patch=PATCH),
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


def build(cfg: Config, adaptations: dict, args, modes_file: str):
    """Model (adaptations active from the first step), optimizers and one fixed batch."""
    model_cfg = copy.deepcopy(cfg.model)
    drop_pretrained(model_cfg)  # random weights: the cost does not depend on them
    model_cfg.adaptations = copy.deepcopy(adaptations)
    model_cfg.warmup_iters = 0
    if 'patch' in adaptations:
        model_cfg.adaptations.patch.update(modes_file=modes_file, patch_size=args.patch_size)
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
    if torch.cuda.is_available():
        model.cuda()
    return model, optim, data


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def time_patch_modules(model, data: dict, steps: int) -> float:
    """Mean time of the patch modules alone (H fwd/bwd both domains, Γ, D) on ``data``."""
    patch = model.generator.adaptations['patch']
    disc = model.discriminators['patch']
    outputs = {}
    with torch.no_grad():
        for domain in ('source', 'target'):
            batch_ = model.data_preprocessor(copy.deepcopy(data[domain]), True)
            segmentor = model.generator.segmentor
            logits = segmentor.decode_head(segmentor.extract_feat(batch_['inputs']))
            outputs[domain] = (dict(logits=logits, input_shape=batch_['inputs'].shape[-2:]),
                               batch_['data_samples'])
    times = []
    for i in range(steps + 1):
        for out, _ in outputs.values():  # fresh leaves: the backward ends at the logits
            out['logits'] = out['logits'].detach().requires_grad_()
        sync()
        t0 = time.perf_counter()
        src_losses, src_reps = patch(outputs['source'][0], outputs['source'][1], 'source')
        _, tgt_reps = patch(outputs['target'][0], outputs['target'][1], 'target')
        model._set_requires_grad(disc, False)
        adv = patch.adversarial_losses(disc(tgt_reps))
        (src_losses['loss_cluster'] + adv['loss_adv']).backward()
        model._set_requires_grad(disc, True)
        d_loss = sum(patch.discriminator_losses(disc({k: v.detach() for k, v in reps.items()}),
                                                is_source)['loss_d']
                     for reps, is_source in ((src_reps, True), (tgt_reps, False)))
        d_loss.backward()
        sync()
        if i:  # the first call is a warm-up
            times.append(time.perf_counter() - t0)
    return sum(times) / len(times)


def run_variant(config: str, name: str, args, modes_file: str) -> Dict[str, Optional[float]]:
    """Build and time one variant (run in its own process, so peak memory is its own)."""
    torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(REPO, config))
    model, optim, data = build(cfg, VARIANTS[name], args, modes_file)
    MessageHub.get_current_instance().update_info('iter', 1)
    times = []
    for i in range(args.warmup + args.iters):
        sync()
        t0 = time.perf_counter()
        model.train_step(copy.deepcopy(data), optim)
        sync()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    if torch.cuda.is_available():
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    patch = time_patch_modules(model, data, args.iters) if 'patch' in VARIANTS[name] else None
    return dict(step=sum(times) / len(times), peak_mib=peak, patch=patch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/demo/output_space_synthetic.py')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--height', type=int, default=96)
    parser.add_argument('--width', type=int, default=192)
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS),
                        metavar='NAME', help=f'default: all of {list(VARIANTS)}')
    args = parser.parse_args()
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(REPO, args.config))
    num_classes = cfg.model.segmentor.decode_head.num_classes
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    print(f'config {args.config}, batch {args.batch} x {args.height}x{args.width}, {device}, '
          f'{args.threads} threads, mean of {args.iters} steps after {args.warmup}; patch size '
          f'{args.patch_size}, K 50; peak memory: '
          f"{'max_memory_allocated' if device == 'cuda' else 'process peak RSS'}", flush=True)
    ctx = multiprocessing.get_context('spawn')
    with tempfile.TemporaryDirectory() as tmp:
        modes_file = osp.join(tmp, 'modes.pth')
        save_patch_modes(modes_file, torch.rand(50, 4 * num_classes),
                         [f'class{i}' for i in range(num_classes)], args.patch_size, 2,
                         'random (benchmark)', 0)
        base = None
        for name in args.variants:
            with ctx.Pool(1) as pool:
                r = pool.apply(run_variant, (args.config, name, args, modes_file))
            base = base or (r['step'] if name == 'source only' else None)
            ratio = f'x{r["step"] / base:.2f} vs source only' if base else ''
            line = (f'{name:32s} {r["step"] * 1000:8.1f} ms/step  {ratio:22s} '
                    f'peak {r["peak_mib"]:7.0f} MiB')
            if r['patch'] is not None:
                line += (f'  | patch modules {r["patch"] * 1000:6.1f} ms = '
                         f'{100 * r["patch"] / r["step"]:.1f} % of the step')
            print(line, flush=True)


if __name__ == '__main__':
    main()
