"""Fixed-seed training fingerprints of shipped configs, to show a refactor changes no number.

    OMP_NUM_THREADS=1 python benchmarks/uda_equivalence.py [--write] [--json FILE] [CONFIG ...]

For each config (default: :data:`CONFIGS`), builds the config's own model and optimizer
wrappers (``mmseg_uda.testing``: no pretrained weights, random patch modes and generated class
statistics of the configured geometry) under mmengine's ``set_random_seed(seed,
deterministic=True)`` and runs three ``train_step`` calls on fixed random 64x64 batches: the
last warm-up iteration, the first adapted one, and one at the latest start iteration of an
adaptation (e.g. ``self_training_start``; otherwise the second adapted one); a plain MMSeg
config (source only) trains on the source batches alone. It records every
logged value of every iteration (full float precision), a SHA-256 of the final state dict's
sorted keys and one of the keys with their tensors' bytes.

Without ``--write`` it compares the fingerprints with the stored ones
(``benchmarks/uda_equivalence.json``), prints one line per config (``identical``, or the keys
and values that differ, with the largest relative difference) and exits 1 on any difference;
``--write`` stores the fingerprints instead. ``tests/test_uda_equivalence.py`` runs the same
comparison.
"""
import argparse
import hashlib
import json
import math
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MessageHub, MMLogger
from mmengine.runner import set_random_seed

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmseg_uda  # noqa: E402,F401
from mmseg.registry import MODELS  # noqa: E402
from mmseg.utils import register_all_modules  # noqa: E402
from mmseg_uda.models.segmentors.uda_segmentor import NONFINITE_TOTAL_KEY  # noqa: E402
from mmseg_uda.testing import (build_optim_wrappers, narrow_vgg_fc,  # noqa: E402
                               prepare_config, train_batch)

#: The configs fingerprinted by default: the demo configs and the tiny CamVid ones, then
#: variants of them (``CONFIG key=value ...``, the values merged as ``--cfg-options``) for the
#: least-squares GAN loss, multi-level output space and the Ls + Ld ablation.
CONFIGS = (
    'configs/demo/source_only_synthetic.py',
    'configs/demo/output_space_synthetic.py',
    'configs/demo/patch_align_synthetic.py',
    'configs/demo/output_space_patch_synthetic.py',
    'configs/output_space/camvid_day2dusk_tiny.py',
    'configs/patch_align/camvid_day2dusk_tiny_ou.py',
    'configs/fcn_wild/camvid_day2dusk_ga_ca.py',
    'configs/self_training/camvid_day2dusk_tiny_ps.py',
    'configs/output_space/camvid_day2dusk_tiny.py model.adaptations.output.gan_type=ls '
    "model.adaptations.output.levels=('logits','aux_logits') "
    'model.adaptations.output.loss_weights=(0.001,0.0002)',
    'configs/patch_align/camvid_day2dusk_tiny_ou.py model.adaptations.patch.gan_type=ls',
    'configs/patch_align/camvid_day2dusk_tiny_ld_only.py',
    'configs/fcn_wild/camvid_day2dusk_ga.py model.adaptations.ga.gan_type=ls',
    'configs/self_training/camvid_day2dusk_tiny_ps.py model.adaptations.ps.gan_type=ls',
)
REFERENCE = osp.join(REPO, 'benchmarks', 'uda_equivalence.json')
SIZE = (64, 64)
BATCH = 2


def state_dict_digests(state: Dict[str, torch.Tensor]) -> Dict[str, str]:
    """SHA-256 of the sorted keys, and of the keys with their tensors' dtype, shape and bytes."""
    keys = hashlib.sha256()
    values = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        keys.update(key.encode() + b'\0')
        values.update(f'{key}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        values.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes()
                      if tensor.numel() else b'')
    return dict(keys=keys.hexdigest(), state=values.hexdigest())


def iterations(cfg) -> List[int]:
    """The last warm-up iteration, the first adapted one, and the latest start of a loss
    (without warm-up: 0, 1 and that start or 2)."""
    warmup = int(cfg.model.get('warmup_iters', 0))
    starts = [int(ad.get('self_training_start', 0))
              for ad in (cfg.model.get('adaptations') or {}).values()]
    first = [warmup - 1, warmup] if warmup > 0 else [0, 1]
    return first + [max([first[1] + 1] + starts)]


def fingerprint(path: str, seed: int = 0, overrides: Optional[dict] = None) -> dict:
    """Logged values of three fixed-seed training iterations of ``path`` and state digests.

    Args:
        path: Config path, relative to the repository, optionally followed by
            ``key=value`` options (merged as ``tools/train.py --cfg-options`` merges them).
        seed: Seed of the weights, the generated modes and the batches.
        overrides: Merged into the config after the options (``Config.merge_from_dict``).

    Returns:
        dict: ``iters`` (the iterations run), ``log`` (one dict of logged values per
        iteration, ``nonfinite_steps`` left out: it is a process-wide total), ``keys`` and
        ``state`` (digests of the final state dict, see :func:`state_dict_digests`).
    """
    hub = MessageHub.get_current_instance()
    previous_iter = hub.get_info('iter', 0)
    skipped_before = hub.get_info(NONFINITE_TOTAL_KEY, 0)
    with tempfile.TemporaryDirectory() as folder:
        set_random_seed(seed, deterministic=True)
        config, *options = path.split()
        cfg = Config.fromfile(osp.join(REPO, config))
        if options:  # parsed as tools/train.py parses --cfg-options
            parsed = argparse.Namespace()
            DictAction(option_strings=[], dest='options')(None, parsed, options)
            cfg.merge_from_dict(parsed.options)
        if overrides:
            cfg.merge_from_dict(overrides)
        cfg = prepare_config(cfg, folder)
        narrow_vgg_fc(cfg, 64)
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim = build_optim_wrappers(cfg, model)
    steps = iterations(cfg)
    logs = []
    try:
        for step, cur_iter in enumerate(steps):
            hub.update_info('iter', cur_iter)
            log_vars = model.train_step(train_batch(model, BATCH, SIZE, seed + step), optim)
            if float(log_vars.pop('nonfinite_steps', skipped_before)) != skipped_before:
                raise RuntimeError(f'{path}: a step was skipped at iteration {cur_iter}')
            logs.append({k: float(v.detach()) for k, v in sorted(log_vars.items())})
    finally:
        hub.update_info('iter', previous_iter)
    return dict(iters=steps, log=logs, **state_dict_digests(model.state_dict()))


def differences(reference: dict, current: dict, rtol: float = 0.0,
                state: bool = True) -> List[str]:
    """What differs between two fingerprints, one line per item (empty: identical).

    Args:
        reference: The stored fingerprint.
        current: The new one.
        rtol: Relative difference of a logged value taken as equal (0: bit-identical).
        state: Whether the state-dict values digest is compared too (the keys digest always
            is).
    """
    lines = []
    if reference['iters'] != current['iters']:
        lines.append(f"iterations {reference['iters']} -> {current['iters']}")
    for i, (ref_log, cur_log) in enumerate(zip(reference['log'], current['log'])):
        if sorted(ref_log) != sorted(cur_log):
            lines.append(f'iteration {i}: log keys only before '
                         f'{sorted(set(ref_log) - set(cur_log))}, only after '
                         f'{sorted(set(cur_log) - set(ref_log))}')
        for key in sorted(set(ref_log) & set(cur_log)):
            before, after = ref_log[key], cur_log[key]
            if before == after or (math.isnan(before) and math.isnan(after)):
                continue
            rel = abs(after - before) / max(abs(before), 1e-30)
            if rel > rtol:
                lines.append(f'iteration {i}: {key} {before!r} -> {after!r} (rel {rel:.2e})')
    for item in ('keys', 'state') if state else ('keys', ):
        if reference[item] != current[item]:
            lines.append(f'state dict {item} digest changed')
    return lines


def main(argv: Sequence[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('configs', nargs='*', default=list(CONFIGS))
    parser.add_argument('--json', default=REFERENCE, help='stored fingerprints')
    parser.add_argument('--write', action='store_true',
                        help='store the fingerprints instead of comparing with them')
    args = parser.parse_args(argv)
    register_all_modules(init_default_scope=True)
    MMLogger.get_instance('uda_equivalence', log_level='WARNING')  # no init_weights report
    stored = {}
    if osp.isfile(args.json):
        with open(args.json) as f:
            stored = json.load(f)
    failed = False
    for path in args.configs:
        current = fingerprint(path)
        if args.write:
            stored[path] = current
            print(f'{path}: written, {len(current["log"][-1])} logged values per iteration')
            continue
        if path not in stored:
            print(f'{path}: no stored fingerprint in {args.json}')
            failed = True
            continue
        diff = differences(stored[path], current)
        failed |= bool(diff)
        print(f'{path}: ' + ('identical' if not diff else '\n    '.join(['DIFFERS'] + diff)))
    if args.write:
        with open(args.json, 'w') as f:
            json.dump(stored, f, indent=1, sort_keys=True)
            f.write('\n')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
