"""UDAWarmupBatchSampler: no target images are decoded during the warm-up."""
import pytest
from mmengine.dataset import InfiniteSampler
from mmengine.runner import Runner

from mmseg.registry import DATA_SAMPLERS, DATASETS
from mmseg_uda.datasets import UDADataset, UDAIndex, UDAWarmupBatchSampler
from mmseg_uda.datasets.warmup_sampler import sync_warmup_sampler
from tests.test_uda_dataset import data_root, uda  # noqa: F401  (fixture)


class _UDASampler:
    """A sequential sampler over a UDADataset (what the batch sampler looks at)."""

    def __init__(self, n):
        self.n = n
        self.dataset = UDADataset.__new__(UDADataset)

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_first_batches_carry_no_target_and_the_count_spans_epochs():
    sampler = UDAWarmupBatchSampler(_UDASampler(5), batch_size=2, warmup_iters=3)
    assert len(sampler) == 3
    epoch1, epoch2 = list(sampler), list(sampler)
    assert [[i.index for i in b] for b in epoch1] == [[0, 1], [2, 3], [4]]
    assert [b[0].with_target for b in epoch1 + epoch2] == [False] * 3 + [True] * 3
    assert [len(b) for b in UDAWarmupBatchSampler(_UDASampler(5), 2, 0, drop_last=True)] == [2, 2]


class _Runner:
    """What sync_warmup_sampler reads of a runner."""

    def __init__(self, batch_sampler, warmup_iters):
        self._train_loop = type('Loop', (), {'dataloader': type('L', (), {
            'batch_sampler': batch_sampler})()})()
        self.model = type('M', (), {'warmup_iters': warmup_iters})()


def test_follows_the_model_unless_set():
    sampler = UDAWarmupBatchSampler(_UDASampler(4), batch_size=1)
    assert all(b[0].with_target for b in sampler)  # until synced: every target loaded
    sync_warmup_sampler(_Runner(sampler, 6))
    assert sampler.warmup_iters == 6
    # the count goes on from the 4 batches above: batches 4 and 5 are warm-up, 6 and 7 not
    assert [b[0].with_target for b in sampler] == [False, False, True, True]
    fixed = UDAWarmupBatchSampler(_UDASampler(4), batch_size=1, warmup_iters=2)
    sync_warmup_sampler(_Runner(fixed, 6))
    assert fixed.warmup_iters == 2
    with pytest.raises(ValueError, match=r'warmup_iters=7 exceeds model.warmup_iters=6'):
        sync_warmup_sampler(_Runner(UDAWarmupBatchSampler(range(4), 1, 7), 6))


def test_plain_datasets_get_plain_indices():
    """A source-only config inheriting a UDA dataset config keeps working."""
    assert list(UDAWarmupBatchSampler(range(3), batch_size=2, warmup_iters=5)) == [[0, 1], [2]]


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match='warmup_iters must be an integer >= 0, got -1'):
        UDAWarmupBatchSampler(range(4), batch_size=2, warmup_iters=-1)
    with pytest.raises(ValueError, match='batch_size must be an integer >= 1'):
        UDAWarmupBatchSampler(range(4), batch_size=0, warmup_iters=1)


def test_dataset_skips_the_target_and_never_opens_it(data_root, monkeypatch):  # noqa: F811
    ds = DATASETS.build(uda(data_root))
    opened = []
    original = ds.target.prepare_data
    monkeypatch.setattr(ds.target, 'prepare_data', lambda i: opened.append(i) or original(i))
    assert set(ds[UDAIndex(0, False)]) == {'source'} and opened == []
    assert set(ds[UDAIndex(0, True)]) == {'source', 'target'} and len(opened) == 1


def test_built_by_mmengine_with_workers(data_root):  # noqa: F811
    """Through Runner.build_dataloader (mmengine passes sampler and batch_size), 2 workers."""
    loader = Runner.build_dataloader(dict(
        batch_size=2, num_workers=2, persistent_workers=False,
        sampler=dict(type='InfiniteSampler', shuffle=True),
        batch_sampler=dict(type='UDAWarmupBatchSampler', warmup_iters=2),
        dataset=uda(data_root)), seed=0)
    assert isinstance(loader.batch_sampler, UDAWarmupBatchSampler)
    assert isinstance(loader.batch_sampler.sampler, InfiniteSampler)
    batches = [b for _, b in zip(range(4), loader)]
    assert [set(b) for b in batches] == [{'source'}] * 2 + [{'source', 'target'}] * 2
    assert all(len(b['source']['inputs']) == 2 for b in batches)
    assert DATA_SAMPLERS.get('UDAWarmupBatchSampler') is UDAWarmupBatchSampler
