"""Small config helpers shared by the tests and the benchmark scripts."""
from typing import Any


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
