"""Smoke-test helpers for shipped configs, shared by the test suite and the benchmark scripts.

:func:`smoke_train_config` is the one implementation of "this config builds and trains":
``tests/test_configs.py`` runs it on CPU for every config, ``benchmarks/gpu_check.sh`` on a GPU.
The helpers below it (random batches, generated statistics files, optimizer wrappers built by
the config's own constructor) are what it and ``benchmarks/bench_train_step.py`` build models
and inputs with.
"""
import copy
import glob
import os.path as osp
import time
from typing import Dict, Iterable, Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.structures import PixelData

from mmseg.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.structures import SegDataSample
from .class_stats import ClassSizeStats
from .patch_modes import save_patch_modes
from .models.adaptation.patch_alignment import PatchAlignment
from .models.segmentors.uda_segmentor import NONFINITE_TOTAL_KEY
from .utils import alias_target, drop_pretrained, segmentor_cfg


def make_batch(n: int = 2, h: int = 32, w: int = 48, num_classes: int = 4, labels: bool = True,
               seed: int = 0) -> dict:
    """A collated batch as the dataloader yields it (uint8 images, ``SegDataSample`` s).

    Args:
        n: Number of samples.
        h: Image height.
        w: Image width.
        num_classes: Labels are drawn uniformly from ``range(num_classes)``.
        labels: Attach a ``gt_sem_seg`` to every sample (source batches) or not (target).
        seed: Seed of the images and labels.

    Returns:
        dict: ``inputs`` (list of ``(3, h, w)`` uint8 tensors) and ``data_samples``.
    """
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        if labels:
            gt = torch.randint(0, num_classes, (1, h, w), generator=g)
            sample.gt_sem_seg = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def train_batch(model: torch.nn.Module, batch_size: int, size: Tuple[int, int],
                seed: int) -> dict:
    """A random batch for ``model.train_step`` (:func:`make_batch` images of ``size``).

    A plain MMSeg segmentor gets the labelled source batch of ``seed``; a ``UDASegmentor``
    ``dict(source=..., target=...)``, the target batch of ``seed + 10``, labelled only when an
    adaptation trains on target labels (``reads_target_labels``, e.g. pseudo labels).
    """
    num_classes = getattr(model, 'segmentor', model).decode_head.num_classes
    source = make_batch(batch_size, *size, num_classes=num_classes, seed=seed)
    if not hasattr(model, 'generator'):
        return source
    labels = any(getattr(ad, 'reads_target_labels', False)
                 for ad in model.generator.adaptations.values())
    return dict(source=source, target=make_batch(batch_size, *size, num_classes=num_classes,
                                                 labels=labels, seed=seed + 10))


def write_patch_modes(cfg: Config, folder: str) -> None:
    """Point every ``PatchAlignment`` of ``cfg.model`` at a random modes file of its geometry.

    The file is written to ``folder`` with the adaptation's patch size, grid and K
    (:meth:`PatchAlignment.geometry_of`) and the model's class count, so the build-time checks
    pass; the centres are random (a benchmark or a smoke test does not depend on them).
    """
    num_classes = segmentor_cfg(cfg.model).decode_head.num_classes
    for name, ad in (cfg.model.get('adaptations') or {}).items():
        if ad.get('type') != 'PatchAlignment':
            continue
        geometry = PatchAlignment.geometry_of(ad)
        grid = geometry['grid']
        path = osp.join(folder, f'{name}_modes.pth')
        save_patch_modes(path, torch.rand(geometry['num_modes'], grid[0] * grid[1] * num_classes),
                         [f'c{i}' for i in range(num_classes)], geometry['patch_size'], grid,
                         'test', 0)
        ad.modes_file = path


def write_class_stats(cfg: Config, folder: str) -> None:
    """Point every ``CategoryAdaptation`` of ``cfg.model`` at a generated file for its classes."""
    num_classes = segmentor_cfg(cfg.model).decode_head.num_classes
    for name, ad in (cfg.model.get('adaptations') or {}).items():
        if ad.get('type') != 'CategoryAdaptation':
            continue
        classes = ad.get('classes')
        if isinstance(classes, str):
            classes = DATASETS.get(classes).METAINFO['classes']
        classes = list(classes or [f'c{i}' for i in range(num_classes)])
        path = osp.join(folder, f'{name}_class_stats.json')
        ClassSizeStats(classes, [0.01] * num_classes, [0.05] * num_classes,
                       [0.5] * num_classes, [1] * num_classes, 1).save(path)
        ad.stats_file = path


def prepare_config(cfg: Union[str, Config], folder: str) -> Config:
    """The config without pretrained weights, its statistics files generated in ``folder``.

    Args:
        cfg: A config path or a loaded config (then changed in place).
        folder: Where the modes / class-statistics files are written.
    """
    if isinstance(cfg, str):
        cfg = Config.fromfile(cfg)
    drop_pretrained(cfg.model)
    write_patch_modes(cfg, folder)
    write_class_stats(cfg, folder)
    return cfg


def narrow_vgg_fc(cfg: Config, width: int = 64) -> None:
    """Set fc6/fc7 of a dilated VGG-16 to ``width`` channels instead of 4096, in place.

    At full width fc6/fc7 hold ~120M parameters and a CPU step takes minutes; the layers, the
    heads and the GA discriminator otherwise stay as configured. Other backbones are untouched.
    """
    seg = segmentor_cfg(cfg.model)
    if seg.backbone.type != 'DilatedVGG16':
        return
    seg.backbone.fc_channels = width
    seg.decode_head.update(in_channels=width, channels=width)
    for ad in (cfg.model.get('adaptations') or {}).values():
        if ad.get('type') == 'GlobalFeatureAlignment':
            ad.in_channels = width


def shallow_mit(cfg: Config, layers: int = 1) -> None:
    """Give a MixVisionTransformer (SegFormer) backbone ``layers`` blocks per stage, in place.

    MiT-B5 has 3 + 6 + 40 + 3 blocks (~82M parameters); with a mean teacher and a frozen copy
    (DACS, DAFormer's feature distance) a CPU step of three of them takes most of a minute.
    The stages' widths, the head and the adaptations stay as configured. Other backbones are
    untouched.
    """
    seg = segmentor_cfg(cfg.model)
    if seg.backbone.type != 'MixVisionTransformer':
        return
    seg.backbone.num_layers = [min(n, layers) for n in seg.backbone.num_layers]


def build_optim_wrappers(cfg: Config,
                         model: torch.nn.Module) -> Union[OptimWrapper, OptimWrapperDict]:
    """The optimizer wrapper(s) of ``cfg.optim_wrapper``, built by the config's constructor.

    As mmengine's runner does: the ``constructor`` key (default
    ``DefaultOptimWrapperConstructor``, that of plain MMSeg configs) and ``paramwise_cfg`` are
    taken out of the wrapper config and passed to the constructor.
    """
    optim_cfg = copy.deepcopy(cfg.optim_wrapper).to_dict()
    constructor = optim_cfg.pop('constructor', 'DefaultOptimWrapperConstructor')
    return OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor, optim_wrapper_cfg=optim_cfg,
             paramwise_cfg=optim_cfg.pop('paramwise_cfg', None)))(model)


def _changed_parts(before: Dict[str, torch.Tensor], model: torch.nn.Module) -> set:
    """Top-level parts (``generator``, ``discriminators``) with a floating tensor that moved."""
    return {k.split('.')[0] for k, v in model.state_dict().items()
            if v.is_floating_point() and not torch.equal(before[k], v)}


def smoke_train_config(path: str, folder: str, size: Tuple[int, int] = (64, 64),
                       batch_size: int = 2, iters: int = 2, device: str = 'cpu',
                       vgg_fc_width: Optional[int] = 64, mit_layers: Optional[int] = 1,
                       seed: int = 0) -> Dict[str, float]:
    """Train a shipped config for a few iterations on random data and check what moved.

    The config's own model and optimizer wrappers (built by its constructor) run ``iters``
    iterations right after the config's warm-up, so every adaptation takes part. Checked: every
    logged value is finite and no step was skipped; the segmentor moves, and so do the
    discriminators when the adaptations have any and ``optim_wrapper`` has a ``discriminator``
    entry (then ``disc.*`` losses are logged); adaptations that use the target log target-side
    losses (``adv.*`` or ``tgt.*``).

    Args:
        path: The config file.
        folder: A folder for the generated modes and class-statistics files.
        size: ``(h, w)`` of the random source and target images; a fixed ``data_preprocessor``
            size (e.g. SegFormer's 512x1024 crop) is set to it as well.
        batch_size: Images per domain.
        iters: Number of iterations.
        device: ``'cpu'`` or ``'cuda'``.
        vgg_fc_width: fc6/fc7 width of dilated VGG-16 models (:func:`narrow_vgg_fc`); ``None``
            keeps the configured 4096.
        mit_layers: Blocks per stage of SegFormer backbones (:func:`shallow_mit`); ``None``
            keeps the configured depth.
        seed: Seed of the weights and the batches.

    Returns:
        dict: ``s_per_iter`` (mean wall time of one iteration, the first included) and
        ``num_params``.

    Raises:
        AssertionError: When one of the checks above fails, naming the config and what is wrong.
    """
    cfg = prepare_config(path, folder)
    if vgg_fc_width is not None:
        narrow_vgg_fc(cfg, vgg_fc_width)
    if mit_layers is not None:
        shallow_mit(cfg, mit_layers)
    seg = segmentor_cfg(cfg.model)
    if seg.get('data_preprocessor', {}).get('size') is not None:
        seg.data_preprocessor.size = size
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(device)
    optim = build_optim_wrappers(cfg, model)
    uda = hasattr(model, 'generator')  # else a plain MMSeg segmentor (a source-only config)
    adaptations = model.generator.adaptations if uda else {}
    hub = MessageHub.get_current_instance()
    previous_iter = hub.get_info('iter', 0)
    skipped_before = hub.get_info(NONFINITE_TOTAL_KEY, 0)  # the total is process-wide
    hub.update_info('iter', cfg.model.get('warmup_iters', 0))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    start = time.perf_counter()
    try:
        for step in range(iters):
            log_vars = model.train_step(train_batch(model, batch_size, size, seed + step), optim)
            bad = {k: float(v) for k, v in log_vars.items() if not torch.isfinite(v).all()}
            assert not bad, f'{path}: non-finite log values {bad}'
    finally:
        hub.update_info('iter', previous_iter)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / iters
    if uda:
        assert log_vars['nonfinite_steps'] == skipped_before, f'{path}: skipped steps'
        expected = {'generator'}
    else:  # every part with trainable weights
        expected = {name for name, part in model.named_children()
                    if any(p.requires_grad for p in part.parameters())}
    if isinstance(optim, OptimWrapperDict) and 'discriminator' in optim.keys() \
            and len(model.discriminators):
        expected.add('discriminators')
        assert any(k.startswith('disc.') for k in log_vars), \
            f'{path}: no discriminator losses logged: {sorted(log_vars)}'
    if any(ad.uses_target for ad in adaptations.values()):
        assert any(k.startswith(('adv.', 'tgt.')) for k in log_vars), \
            f'{path}: no target-side losses after warm-up: {sorted(log_vars)}'
    changed = _changed_parts(before, model)
    assert changed == expected, f'{path}: parts updated {sorted(changed)}, expected ' \
        f'{sorted(expected)}'
    return dict(s_per_iter=seconds, num_params=float(sum(p.numel() for p in model.parameters())))


def shipped_configs(repo: str, aliases: bool = False) -> Iterable[str]:
    """Paths (relative to ``repo``) of every shipped config, sorted: ``_base_`` files excluded,
    and the MMSeg-scheme aliases (:func:`mmseg_uda.utils.alias_target`, which merge to the
    config they name) unless ``aliases``."""
    return sorted(osp.relpath(p, repo)
                  for p in glob.glob(osp.join(repo, 'configs', '**', '*.py'), recursive=True)
                  if '_base_' not in p and (aliases or not alias_target(p)))
