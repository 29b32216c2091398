"""A batch sampler that tells :class:`UDADataset` not to load target images during warm-up."""
from typing import Iterator, List, NamedTuple

from torch.utils.data import Sampler

from mmseg.registry import DATA_SAMPLERS


class UDAIndex(NamedTuple):
    """An index into :class:`UDADataset` that says whether to load a target sample too."""
    index: int
    with_target: bool


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

    Use it with the same value as the model::

        warmup_iters = 10000
        model = dict(type='UDASegmentor', warmup_iters=warmup_iters, ...)
        train_dataloader = dict(
            batch_size=1, sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_sampler=dict(type='UDAWarmupBatchSampler', warmup_iters=warmup_iters),
            dataset=dict(type='UDADataset', ...))

    A ``warmup_iters`` larger than the model's is an error at the first adapted iteration
    (the batch has no target); a smaller one only loads targets that are not used.

    Args:
        sampler (Sampler): The index sampler (mmengine passes the built ``sampler``).
        batch_size (int): Samples per batch (mmengine passes ``train_dataloader.batch_size``).
        warmup_iters (int): Batches without target samples.
        drop_last (bool): Drop a last incomplete batch of a finite sampler.
    """

    def __init__(self, sampler: Sampler, batch_size: int, warmup_iters: int,
                 drop_last: bool = False) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'UDAWarmupBatchSampler: batch_size must be an integer >= 1, got '
                             f'{batch_size!r}')
        if not isinstance(warmup_iters, int) or warmup_iters < 0:
            raise ValueError(f'UDAWarmupBatchSampler: warmup_iters must be an integer >= 0, got '
                             f'{warmup_iters!r}')
        self.sampler = sampler
        self.batch_size = batch_size
        self.warmup_iters = warmup_iters
        self.drop_last = drop_last
        self.batches_yielded = 0

    def __iter__(self) -> Iterator[List[UDAIndex]]:
        batch: List[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield self._mark(batch)
                batch = []
        if batch and not self.drop_last:
            yield self._mark(batch)

    def _mark(self, batch: List[int]) -> List[UDAIndex]:
        with_target = self.batches_yielded >= self.warmup_iters
        self.batches_yielded += 1
        return [UDAIndex(idx, with_target) for idx in batch]

    def __len__(self) -> int:
        num = len(self.sampler)  # type: ignore[arg-type]
        return num // self.batch_size if self.drop_last else -(-num // self.batch_size)
