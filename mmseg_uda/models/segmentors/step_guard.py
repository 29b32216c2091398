"""Skip optimizer steps whose gradients are not finite, on every rank alike."""
from typing import Any, Dict, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.utils import get_total_norm
from torch.optim import Optimizer


class FiniteStepGuard:
    """Step pre-hook of an optimizer that turns a step with non-finite gradients into a no-op.

    It is registered with :meth:`torch.optim.Optimizer.register_step_pre_hook`, so the step is
    still taken through ``OptimWrapper.update_params``: gradient accumulation
    (``accumulative_counts``), gradient clipping and AMP loss scaling work exactly as configured.
    (With a dynamic loss scaler, an fp16 overflow makes ``GradScaler`` skip the step before the
    hook runs; that is loss scaling at work, not counted here.)

    Right before the optimizer updates, the hook takes the max-abs norm of every gradient of the
    optimizer's parameters and of the floating-point buffers of ``module`` (the BatchNorm
    statistics, which the forward has already updated), reduces the two flags over all ranks
    (so every rank takes the same decision) and reads them with one host sync. When a gradient
    is non-finite, every gradient is set to ``None``: the optimizers of ``torch.optim`` skip
    parameters without a gradient, so parameters, momentum and Adam moments stay as they were.

    Args:
        optimizer (Optimizer): The optimizer to guard.
        module (nn.Module): The module whose buffers the forward updates (the part this
            optimizer trains).

    Attributes:
        stepped (bool): Whether the optimizer was asked to step since :meth:`reset`.
        grads_finite (bool): Whether every gradient was finite at that step (on every rank).
        buffers_finite (bool): Whether every floating-point buffer of ``module`` was finite.
    """

    def __init__(self, optimizer: Optimizer, module: nn.Module) -> None:
        self.module = module
        self.handle = optimizer.register_step_pre_hook(self)
        self.reset()

    def reset(self) -> None:
        """Forget the last step's outcome (call before ``update_params``)."""
        self.stepped = False
        self.grads_finite = True
        self.buffers_finite = True

    @property
    def skipped(self) -> bool:
        """Whether the last step was turned into a no-op."""
        return self.stepped and not (self.grads_finite and self.buffers_finite)

    def __call__(self, optimizer: Optimizer, args: Tuple[Any, ...],
                 kwargs: Dict[str, Any]) -> None:
        params = [p for group in optimizer.param_groups for p in group['params']]
        grads = [p.grad for p in params if p.grad is not None]
        buffers = [b for b in self.module.buffers() if b.is_floating_point()]
        device = grads[0].device if grads else params[0].device
        zero = torch.zeros((), device=device)
        norms = torch.stack([
            get_total_norm(grads, norm_type=float('inf')).to(device) if grads else zero,
            get_total_norm(buffers, norm_type=float('inf')).to(device) if buffers else zero,
        ])
        bad = (~torch.isfinite(norms)).float()
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(bad, op=dist.ReduceOp.MAX)
        grads_bad, buffers_bad = bad.tolist()
        self.stepped = True
        self.grads_finite = not grads_bad
        self.buffers_finite = not buffers_bad
        if self.skipped:
            for param in params:
                param.grad = None
