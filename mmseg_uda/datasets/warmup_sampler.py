"""A batch sampler that tells :class:`UDADataset` not to load target images during warm-up."""
from typing import Any, Iterator, List, Optional, Union

from mmengine.model import is_model_wrapper
from torch.utils.data import Sampler

from mmseg.registry import DATA_SAMPLERS
from .uda_dataset import UDADataset, UDAIndex


@DATA_SAMPLERS.register_module()
class UDAWarmupBatchSampler(Sampler):
    """Batches of source indices; during the first ``warmup_iters`` batches without targets.

    During the warm-up of :class:`UDASegmentor` (``model.warmup_iters``) only source images are
    forwarded, so decoding and augmenting the target images is wasted work. This batch sampler
    counts the batches it has yielded (in the main process, where mmengine's dataloader draws
    indices, whatever the number of workers) and yields :class:`UDAIndex` items whose
    ``with_target`` is False for the first ``warmup_iters`` batches; :class:`UDADataset` then
    returns ``dict(source=...)`` only. The count runs across epochs. On ``--resume`` mmengine's
    ``IterBasedTrainLoop`` advances a fresh dataloader by the iterations already done, so the
    count matches the iteration again.

    By default (``warmup_iters=None``) the warm-up length is the model's: before training,
    :func:`sync_warmup_sampler` (called by ``DataChecksHook``) sets it to
    ``model.warmup_iters``, so ``--cfg-options model.warmup_iters=...`` needs no second
    setting. Until then every batch carries its target, so the few batches the dataloader
    workers prefetch while the runner is built only decode targets that go unused::

        train_dataloader = dict(
            batch_size=1, sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_sampler=dict(type='UDAWarmupBatchSampler'),
            dataset=dict(type='UDADataset', ...))

    An explicit ``warmup_iters`` larger than the model's is an error before the first
    iteration (:func:`sync_warmup_sampler`); a smaller one only loads targets that go unused.
    With any dataset other than :class:`UDADataset` (e.g. the plain source dataset of a
    source-only config inheriting a UDA dataset config) it yields plain indices: an ordinary
    batch sampler.

    Args:
        sampler (Sampler): The index sampler (mmengine passes the built ``sampler``).
        batch_size (int): Samples per batch (mmengine passes ``train_dataloader.batch_size``).
        warmup_iters (int, optional): Batches without target samples; None: the model's.
        drop_last (bool): Drop a last incomplete batch of a finite sampler.
    """

    def __init__(self, sampler: Sampler, batch_size: int, warmup_iters: Optional[int] = None,
                 drop_last: bool = False) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'UDAWarmupBatchSampler: batch_size must be an integer >= 1, got '
                             f'{batch_size!r}')
        if warmup_iters is not None and (not isinstance(warmup_iters, int) or warmup_iters < 0):
            raise ValueError(f'UDAWarmupBatchSampler: warmup_iters must be an integer >= 0, got '
                             f'{warmup_iters!r}')
        self.sampler = sampler
        self.batch_size = batch_size
        self.warmup_iters = warmup_iters
        self.drop_last = drop_last
        self.batches_yielded = 0
        self.marks_target = isinstance(getattr(sampler, 'dataset', None), UDADataset)

    def __iter__(self) -> Iterator[List[Union[int, UDAIndex]]]:
        batch: List[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield self._mark(batch)
                batch = []
        if batch and not self.drop_last:
            yield self._mark(batch)

    def _mark(self, batch: List[int]) -> List[Union[int, UDAIndex]]:
        if not self.marks_target:
            return batch
        with_target = self.warmup_iters is None or self.batches_yielded >= self.warmup_iters
        self.batches_yielded += 1
        return [UDAIndex(idx, with_target) for idx in batch]

    def __len__(self) -> int:
        num = len(self.sampler)  # type: ignore[arg-type]
        return num // self.batch_size if self.drop_last else -(-num // self.batch_size)


def sync_warmup_sampler(runner: Any) -> None:
    """Give the train dataloader's :class:`UDAWarmupBatchSampler` the model's warm-up length.

    Call it before the first iteration (``DataChecksHook.before_train`` does). A sampler with
    ``warmup_iters=None`` takes ``model.warmup_iters``; an explicit value must not exceed it.
    Nothing happens without such a sampler or without a built train loop.

    Raises:
        ValueError: If the sampler's ``warmup_iters`` exceeds the model's, naming both.
    """
    loop = getattr(runner, '_train_loop', None)
    batch_sampler = getattr(getattr(loop, 'dataloader', None), 'batch_sampler', None)
    if not isinstance(batch_sampler, UDAWarmupBatchSampler):
        return
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    model_warmup = getattr(model, 'warmup_iters', None)
    if model_warmup is None:
        raise ValueError('train_dataloader.batch_sampler is UDAWarmupBatchSampler but the model '
                         f'({type(model).__name__}) has no warmup_iters; it needs UDASegmentor')
    if batch_sampler.warmup_iters is None:
        batch_sampler.warmup_iters = model_warmup
    elif batch_sampler.warmup_iters > model_warmup:
        raise ValueError(f'train_dataloader.batch_sampler.warmup_iters='
                         f'{batch_sampler.warmup_iters} exceeds model.warmup_iters={model_warmup}: '
                         'the adapted iterations in between would get no target images; drop '
                         'the sampler\'s warmup_iters (it then follows the model)')
