"""Small config helpers shared by the tests and the benchmark scripts."""
import ast
import os.path as osp
import re
from typing import Any, List, Optional


def alias_target(path: str) -> Optional[str]:
    """The file an alias config inherits (``'./gta2cs_1xb1.py'``), None if not an alias.

    An alias is a config whose code is one assignment, ``_base_ = ['./NAME.py']`` (or the bare
    string): it merges to the config it names, comments aside. The MMSeg-scheme config names
    are such aliases of the short ones (``tools/misc/config_names.py``).
    """
    with open(path) as f:
        body = ast.parse(f.read()).body
    if len(body) != 1 or not isinstance(body[0], ast.Assign):
        return None
    (target, ), value = body[0].targets, body[0].value
    if not isinstance(target, ast.Name) or target.id != '_base_':
        return None
    if isinstance(value, ast.List) and len(value.elts) == 1:
        value = value.elts[0]
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and \
            re.fullmatch(r'\./[^/]+\.py', value.value):
        return value.value
    return None


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


def segmentor_key(model_cfg: Any) -> str:
    """Where a config keeps its MMSeg segmentor: ``'model.segmentor'`` for a ``UDASegmentor``
    config, ``'model'`` for a plain MMSeg one (e.g. the source-only configs)."""
    return 'model.segmentor' if 'segmentor' in model_cfg else 'model'


def segmentor_cfg(model_cfg: Any) -> Any:
    """The MMSeg segmentor config of ``model_cfg`` (see :func:`segmentor_key`), not a copy."""
    return model_cfg['segmentor'] if segmentor_key(model_cfg) == 'model.segmentor' else model_cfg


def drop_pretrained(cfg: Any) -> None:
    """Random weights: set every ``init_cfg`` of type ``Pretrained`` in ``cfg`` to None, in place.

    For building shipped configs without their (downloaded or converted) weight files, e.g.
    in tests and benchmarks. Recurses through dicts and lists.
    """
    if isinstance(cfg, dict):
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        values = cfg.values()
    elif isinstance(cfg, (list, tuple)):
        values = cfg
    else:
        return
    for value in values:
        drop_pretrained(value)


def schedule_length_options(iters: int) -> List[str]:
    """``--cfg-options`` that set an iteration-based schedule's length to ``iters``.

    The training loop's ``max_iters`` and ``val_interval``, the checkpoint interval and the end
    of the first parameter scheduler (the configs' poly decay), so that every method of a
    comparison (the demo, the CamVid table) trains for the same number of iterations.
    """
    return [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'default_hooks.checkpoint.interval={iters}', f'param_scheduler.0.end={iters}']


def continuation_options(cfg: Any, start: int, total: int) -> List[str]:
    """``--cfg-options`` that train iterations ``start``..``total`` of a poly schedule as a new run.

    For a method that starts from a checkpoint taken at iteration ``start`` of a source-only run
    (a warm-up shared by several methods) with fresh discriminators: ``load_from`` carries the
    weights, and this sets the schedule of the new run to ``total - start`` iterations whose
    learning rates are those the full ``total``-iteration run would have used from ``start`` on.
    mmengine's ``PolyLR(eta_min=0, power=p, end=total)`` gives
    ``lr(t) = lr0 * (1 - t / (total - 1)) ** p``, so with ``n = total - 1``,
    ``lr(start + t) = [lr0 * ((n - start) / n) ** p] * (1 - t / (n - start)) ** p``: the same
    decay over the remaining ``total - start`` iterations from a scaled base learning rate, for
    every optimizer of the config
    (``optim_wrapper.<part>.optimizer.lr``, or ``optim_wrapper.optimizer.lr``). Optimizer
    state (SGD momentum, Adam moments) starts afresh, as in any ``load_from`` run.

    The model's own iteration counts move by ``start`` as well, since the new run counts from
    0: a ``UDASegmentor``'s ``warmup_iters`` (the source-only iterations before the
    adaptations) and each adaptation's ``self_training_start`` become ``max(0, value - start)``;
    a plain MMSeg model (a source-only config) has neither.

    Args:
        cfg: The method's config (an mmengine ``Config``), read only.
        start: The iteration the checkpoint was taken at.
        total: The length of the full schedule.

    Raises:
        ValueError: If the config's schedule is not a single ``PolyLR`` with ``eta_min=0``,
            ``by_epoch=False`` and ``begin=0``, or ``0 < start < total`` does not hold.
    """
    if not 0 < start < total:
        raise ValueError(f'continuation needs 0 < start < total, got start={start}, '
                         f'total={total}')
    schedulers = cfg.get('param_scheduler')
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    if (not schedulers or len(schedulers) != 1 or schedulers[0].get('type') != 'PolyLR'
            or schedulers[0].get('eta_min', 0) != 0 or schedulers[0].get('by_epoch', True)
            or schedulers[0].get('begin', 0) != 0):
        raise ValueError('continuation_options needs param_scheduler = [PolyLR(eta_min=0, '
                         f'begin=0, by_epoch=False)], got {schedulers!r}')
    scale = ((total - 1 - start) / (total - 1)) ** schedulers[0].get('power', 1.0)
    wrappers = cfg.optim_wrapper
    if 'optimizer' in wrappers:
        parts = {'': wrappers}
    else:
        parts = {f'{name}.': part for name, part in wrappers.items()
                 if isinstance(part, dict) and 'optimizer' in part}
    options = schedule_length_options(total - start)
    for prefix, part in parts.items():
        options.append(f'optim_wrapper.{prefix}optimizer.lr={part["optimizer"]["lr"] * scale!r}')
    model = cfg.get('model', {})
    if 'warmup_iters' in model:
        options.append(f'model.warmup_iters={max(0, model["warmup_iters"] - start)}')
    for name, adaptation in (model.get('adaptations') or {}).items():
        if isinstance(adaptation, dict) and 'self_training_start' in adaptation:
            options.append(f'model.adaptations.{name}.self_training_start='
                           f'{max(0, adaptation["self_training_start"] - start)}')
    return options


def load_tool_config(path: str, cfg_options: Optional[dict] = None) -> Any:
    """A config as the offline tools read it: ``Config.fromfile(path)``, ``cfg_options`` (their
    ``--cfg-options``) merged, and the config's default registry scope (``mmseg``) set, so that
    its datasets and models build outside a Runner."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    return cfg
