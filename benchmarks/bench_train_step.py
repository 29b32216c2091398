"""Time one UDA training step per method, side by side, on the same model and batch.

    python benchmarks/bench_train_step.py [--config CFG] [--batch 8] [--height 96] [--width 192]
        [--target-height H] [--target-width W] [--patch-size 16] [--variants NAME ...]
        [--device cpu|cuda] [--amp none|bf16|fp16] [--channels-last] [--markdown FILE]

For source-only (the config's segmentor as a plain MMSeg ``EncoderDecoder`` with the generator's
optimizer, as the source-only configs train it, on the source batch), output-space adaptation
(discriminator at the input resolution as in AdaptSegNet, and at the head's output resolution),
patch-level alignment (Tsai et al., ICCV 2019; K = 50, random modes) and output space + patch,
each in a fresh process on the same model config and batch, prints the mean wall time of
``train_step`` after warm-up steps, its ratio to source-only, and the peak memory (CUDA: ``max_memory_allocated``; CPU: the process's peak RSS,
which includes the model build, so compare differences). The variant ``as configured`` keeps the
config's own adaptations (random modes / class statistics of the configured geometry), e.g. for
the paper configs at their sizes: ``--batch 1 --height 720 --width 1280 --target-height 512
--target-width 1024``. A single variant runs in this process.

``--amp bf16|fp16`` switches every optimizer wrapper to ``AmpOptimWrapper`` with that autocast
dtype (through ``mmseg_uda.engine.enable_amp``, as ``tools/train.py --amp``; needs CUDA);
``--channels-last`` converts the model and its preprocessed inputs to ``torch.channels_last``.
``--markdown FILE`` appends one table row per variant to FILE (``benchmarks/gpu_check.sh``).

For the patch-alignment variants it also times the patch modules on their own, on the same
batch: the head H forward and backward on both domains' logits, the mode assignment Γ(Ys), the
frozen-D adversarial forward/backward and the discriminator step on both domains. Their share of
the full step is printed.
"""
import argparse
import copy
import multiprocessing
import os.path as osp
import resource
import sys
import tempfile
import time
import traceback
from typing import Dict, List, Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import MessageHub

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401
from mmseg.registry import MODELS  # noqa: E402
from mmseg.utils import register_all_modules  # noqa: E402
from mmseg_uda.engine import enable_amp  # noqa: E402
from mmseg_uda.testing import build_optim_wrappers, make_batch, prepare_config  # noqa: E402
from mmseg_uda.utils import segmentor_cfg  # noqa: E402

OUTPUT_AT_INPUT = dict(type='OutputSpaceAdaptation', disc_input_size='input')
OUTPUT_AT_LOGITS = dict(type='OutputSpaceAdaptation', disc_input_size='logits',
                        discriminator=dict(type='ConvDiscriminator', channels=(64, 128)))
PATCH = dict(type='PatchAlignment', num_modes=50, discriminator=dict(type='FCDiscriminator'))
AS_CONFIGURED = 'as configured'
SOURCE_ONLY = 'source only'

#: Adaptations of each variant; ``None``: the config's own; none (source only): the config's
#: segmentor as a plain MMSeg model (:func:`plain_source_only`).
VARIANTS: Dict[str, Optional[dict]] = {
    SOURCE_ONLY: {},
    'output space, D at input size': dict(output=OUTPUT_AT_INPUT),
    'output space, D at logits size': dict(output=OUTPUT_AT_LOGITS),
    'patch alignment': dict(patch=PATCH),
    'output space (logits) + patch': dict(output=OUTPUT_AT_LOGITS, patch=PATCH),
    AS_CONFIGURED: None,
}
DEFAULT_VARIANTS = [name for name in VARIANTS if name != AS_CONFIGURED]
AMP_DTYPES = {'bf16': 'bfloat16', 'fp16': 'float16'}


def set_amp(cfg: Config, amp: str) -> None:
    """``--amp``: every optimizer wrapper of ``cfg`` becomes an ``AmpOptimWrapper`` of ``amp``.

    Args:
        cfg: The config; ``cfg.optim_wrapper`` is changed in place.
        amp: ``'none'`` (nothing changes), ``'bf16'`` or ``'fp16'`` (the autocast dtype).

    Raises:
        RuntimeError: From :func:`mmseg_uda.engine.enable_amp` when no CUDA device is available.
    """
    if amp == 'none':
        return
    enable_amp(cfg)
    optim = cfg.optim_wrapper
    wrappers = [optim] if 'optimizer' in optim else [
        sub for sub in optim.values() if isinstance(sub, dict) and 'optimizer' in sub]
    for wrapper in wrappers:
        wrapper.dtype = AMP_DTYPES[amp]


def to_channels_last(model: torch.nn.Module) -> None:
    """Weights and preprocessed input batches of ``model`` in ``torch.channels_last``."""
    model.to(memory_format=torch.channels_last)

    def convert(module, args, output):
        output['inputs'] = output['inputs'].contiguous(memory_format=torch.channels_last)
        return output

    model.data_preprocessor.register_forward_hook(convert)


def plain_source_only(cfg: Config) -> None:
    """``cfg`` as a source-only config, in place: its MMSeg segmentor (with the data
    preprocessor ``UDASegmentor`` would give it) and the ``generator`` optimizer wrapper."""
    model = cfg.model
    seg = segmentor_cfg(model)
    if seg is not model:
        if seg.get('data_preprocessor') is None:
            seg.data_preprocessor = model.get('data_preprocessor', cfg.get('data_preprocessor'))
        cfg.model = seg
    if cfg.optim_wrapper.get('constructor') == 'UDAOptimWrapperConstructor':
        cfg.optim_wrapper = cfg.optim_wrapper.generator


def build(cfg: Config, name: str, args, folder: str):
    """Model (adaptations active from the first step), optimizers and one fixed batch (of the
    source alone for source only)."""
    adaptations = VARIANTS[name]
    if name == SOURCE_ONLY:
        plain_source_only(cfg)
    else:
        if adaptations is not None:
            cfg.model.adaptations = ConfigDict(copy.deepcopy(adaptations))
            if 'patch' in adaptations:
                cfg.model.adaptations.patch.patch_size = args.patch_size
        cfg.model.warmup_iters = 0
    prepare_config(cfg, folder)  # random weights, modes and class statistics
    set_amp(cfg, args.amp)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    model.to(args.device)
    if args.channels_last:
        to_channels_last(model)
    optim = build_optim_wrappers(cfg, model)
    num_classes = getattr(model, 'segmentor', model).decode_head.num_classes
    source = make_batch(args.batch, args.height, args.width, num_classes)
    if name == SOURCE_ONLY:
        return model, optim, source
    target_size = (args.target_height or args.height, args.target_width or args.width)
    data = dict(source=source,
                target=make_batch(args.batch, *target_size, num_classes, labels=False, seed=1))
    return model, optim, data


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_patch_modules(model, data: dict, steps: int, device: str) -> float:
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
        sync(device)
        t0 = time.perf_counter()
        src_losses, src_reps = patch(outputs['source'][0], outputs['source'][1], 'source')
        _, tgt_reps = patch(outputs['target'][0], outputs['target'][1], 'target')
        disc.requires_grad_(False)
        adv = patch.adversarial_losses(disc(tgt_reps))
        (src_losses['loss_cluster'] + adv['loss_adv']).backward()
        disc.requires_grad_(True)
        d_loss = sum(patch.discriminator_losses(disc({k: v.detach() for k, v in reps.items()}),
                                                domain)['loss_d']
                     for reps, domain in ((src_reps, 'source'), (tgt_reps, 'target')))
        d_loss.backward()
        sync(device)
        if i:  # the first call is a warm-up
            times.append(time.perf_counter() - t0)
    return sum(times) / len(times)


def run_variant(config: str, name: str, args) -> Dict[str, Optional[float]]:
    """Build and time one variant (in its own process when several run, so peak memory is its
    own)."""
    torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(REPO, config))
    with tempfile.TemporaryDirectory() as folder:
        model, optim, data = build(cfg, name, args, folder)
    MessageHub.get_current_instance().update_info('iter', 1)
    times = []
    for i in range(args.warmup + args.iters):
        sync(args.device)
        t0 = time.perf_counter()
        model.train_step(copy.deepcopy(data), optim)
        sync(args.device)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    if args.device.startswith('cuda'):
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    adaptations = model.generator.adaptations if name != SOURCE_ONLY else {}
    has_patch = 'patch' in adaptations and type(adaptations['patch']).__name__ == 'PatchAlignment'
    patch = time_patch_modules(model, data, args.iters, args.device) if has_patch else None
    return dict(step=sum(times) / len(times), peak_mib=peak, patch=patch)


def markdown_row(config: str, name: str, args, r: Optional[Dict[str, Optional[float]]],
                 error: str = '') -> str:
    """One markdown table row: the figures ``r``, or ``error``.

    Columns (``benchmarks/gpu_check.sh`` writes the header): config, variant, device, precision,
    memory format, batch, source size, target size, ms/step, peak MiB, patch modules.
    """
    source = f'{args.width}x{args.height}'
    target = f'{args.target_width or args.width}x{args.target_height or args.height}'
    precision = 'fp32' if args.amp == 'none' else f'AMP {args.amp}'
    memory = 'channels_last' if args.channels_last else 'contiguous'
    if r is None:
        figures = f'FAILED: {error} | | '
    else:
        patch = '' if r['patch'] is None else \
            f'{r["patch"] * 1000:.1f} ms = {100 * r["patch"] / r["step"]:.1f} %'
        figures = f'{r["step"] * 1000:.1f} | {r["peak_mib"]:.0f} | {patch}'
    return (f'| {config} | {name} | {args.device} | {precision} | {memory} | {args.batch}+'
            f'{args.batch} | {source} | {target} | {figures} |\n')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/demo/output_space_synthetic.py')
    parser.add_argument('--batch', type=int, default=8, help='images per domain')
    parser.add_argument('--height', type=int, default=96, help='source image height')
    parser.add_argument('--width', type=int, default=192, help='source image width')
    parser.add_argument('--target-height', type=int, help='default: --height')
    parser.add_argument('--target-width', type=int, help='default: --width')
    parser.add_argument('--patch-size', type=int, default=16,
                        help='patch size of the patch-alignment variants (not of "as configured")')
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', choices=['none', *AMP_DTYPES], default='none',
                        help='AmpOptimWrapper with this autocast dtype (CUDA only)')
    parser.add_argument('--channels-last', action='store_true',
                        help='model weights and inputs in torch.channels_last')
    parser.add_argument('--variants', nargs='+', default=DEFAULT_VARIANTS, choices=list(VARIANTS),
                        metavar='NAME', help=f'default: {DEFAULT_VARIANTS}; also '
                        f'{AS_CONFIGURED!r} (the config\'s own adaptations)')
    parser.add_argument('--markdown', help='append one markdown table row per variant here')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: torch.cuda.is_available() is False on this machine')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run every variant; returns the number of variants that failed (each one printed)."""
    args = parse_args(argv)
    device = args.device
    print(f'config {args.config}, batch {args.batch} x {args.height}x{args.width} (target '
          f'{args.target_height or args.height}x{args.target_width or args.width}), {device}, '
          f'{args.threads} threads, precision '
          f"{'fp32' if args.amp == 'none' else 'AMP ' + args.amp}"
          f"{', channels_last' if args.channels_last else ''}, mean of {args.iters} steps "
          f'after {args.warmup}; patch size {args.patch_size}, K 50; peak memory: '
          f"{'max_memory_allocated' if device == 'cuda' else 'process peak RSS'}", flush=True)
    ctx = multiprocessing.get_context('spawn')
    base = None
    failures = 0
    for name in args.variants:
        try:
            if len(args.variants) == 1:
                r = run_variant(args.config, name, args)
            else:
                with ctx.Pool(1) as pool:
                    r = pool.apply(run_variant, (args.config, name, args))
        except Exception as exc:  # one failing variant must not stop the others
            failures += 1
            traceback.print_exc()
            error = f'{type(exc).__name__}: {exc}'.replace('\n', ' ').replace('|', '/')
            print(f'{name:32s} FAILED: {error}', flush=True)
            if args.markdown:
                with open(args.markdown, 'a') as f:
                    f.write(markdown_row(args.config, name, args, None, error[:300]))
            continue
        base = base or (r['step'] if name == SOURCE_ONLY else None)
        ratio = f'x{r["step"] / base:.2f} vs source only' if base else ''
        line = (f'{name:32s} {r["step"] * 1000:8.1f} ms/step  {ratio:22s} '
                f'peak {r["peak_mib"]:7.0f} MiB')
        if r['patch'] is not None:
            line += (f'  | patch modules {r["patch"] * 1000:6.1f} ms = '
                     f'{100 * r["patch"] / r["step"]:.1f} % of the step')
        print(line, flush=True)
        if args.markdown:
            with open(args.markdown, 'a') as f:
                f.write(markdown_row(args.config, name, args, r))
    return failures


if __name__ == '__main__':
    sys.exit(1 if main() else 0)
