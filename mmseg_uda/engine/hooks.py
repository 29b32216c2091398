"""Training hooks of mmseg_uda."""
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS


@HOOKS.register_module()
class DistParamsCheckHook(Hook):
    """Check that every rank holds exactly the same parameters.

    Adversarial training under DDP has failure modes that silently desynchronise the ranks
    (a module called around its DDP wrapper, a discriminator with its own optimizer that never
    syncs). This hook gathers every parameter from all ranks every ``interval`` iterations and
    at the end of training and raises, naming the first parameter that differs. It does nothing
    in non-distributed runs.

    Args:
        interval (int): Check every this many iterations (0: only at the end of training).
    """

    priority = 'LOW'

    def __init__(self, interval: int = 0) -> None:
        self.interval = interval

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if self.interval and self.every_n_train_iters(runner, self.interval):
            self.check(runner, runner.iter + 1)

    def after_train(self, runner) -> None:
        self.check(runner, runner.iter)

    @staticmethod
    def check(runner, iteration: int) -> int:
        """Compare all parameters across ranks after ``iteration`` iterations; returns how many
        were compared."""
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return 0
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        world = dist.get_world_size()
        count = 0
        for name, param in model.named_parameters():
            name = name.replace('.module.', '.')
            local = param.detach().contiguous()
            gathered = [torch.empty_like(local) for _ in range(world)]
            dist.all_gather(gathered, local)
            for rank, other in enumerate(gathered[1:], start=1):
                if not torch.equal(gathered[0], other):
                    diff = (gathered[0] - other).abs().max().item()
                    raise RuntimeError(f'parameter {name} differs between rank 0 and rank '
                                       f'{rank} (max abs difference {diff:.3g}) at iteration '
                                       f'{iteration}')
            count += 1
        runner.logger.info(f'DistParamsCheckHook: all {count} parameters identical on '
                           f'{world} ranks at iteration {iteration}')
        return count
