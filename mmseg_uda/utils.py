"""Small config helpers shared by the tests and the benchmark scripts."""
from typing import Any, List


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
