"""DAFormer's learning-rate schedule: the two mmengine schedulers of
configs/_base_/schedules/plain/daformer_adamw_40k.py give MMCV 1.x's poly decay with a linear
warm-up, lr = base (1 - (1 - t / 1500)(1 - 1e-6)) (1 - t / 40000) during the warm-up and
base (1 - t / 40000) after it, to 1e-5 relative (mmengine chains the factors step by step)."""
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS

from tests.conftest import REPO


def mmcv_poly_warmup(t: int, base: float, warmup: int = 1500, total: int = 40000,
                     ratio: float = 1e-6) -> float:
    """MMCV 1.x ``PolyLrUpdaterHook(power=1.0, min_lr=0)`` with ``warmup='linear'``."""
    regular = base * (1 - t / total)
    if t >= warmup:
        return regular
    return regular * (1 - (1 - t / warmup) * (1 - ratio))


def test_linear_warmup_on_poly_decay_matches_mmcv():
    cfg = Config.fromfile(f'{REPO}/configs/_base_/schedules/plain/daformer_adamw_40k.py')
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.AdamW([param], lr=cfg.optim_wrapper.optimizer.lr))
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
                  for s in cfg.param_scheduler]
    seen = {}
    for t in range(3001):
        seen[t] = wrapper.optimizer.param_groups[0]['lr']
        wrapper.optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    for t in (0, 1, 10, 750, 1499, 1500, 1501, 3000):
        want = mmcv_poly_warmup(t, 6e-5)
        assert abs(seen[t] - want) <= 1e-5 * want, (t, seen[t], want)  # chained floats
