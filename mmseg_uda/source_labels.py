"""The source training set's label maps, read through a config, for the offline label tools.

``tools/build_patch_modes.py`` (patch modes, Tsai et al., ICCV 2019) and
``tools/compute_class_stats.py`` (class-size statistics, Hoffman et al. 2016) both describe the
labelled SOURCE training data of a UDA config. :class:`SourceLabelMaps` is their one way to
get it: it builds ``train_dataloader.dataset.source`` of a ``UDADataset`` (else
``train_dataloader.dataset``) with its own pipeline and yields the label maps that pipeline
produces (``data_samples.gt_sem_seg``), batch by batch, with a progress bar. The geometric
transforms of training (resize, crop, flip) therefore apply: the statistics describe the label
maps as the segmentor sees them in training. Every label map is checked with the package's one
label-value policy (:func:`mmseg_uda.label_stats.check_label_values`), so both tools reject a
value outside the class set naming its file, as training does.
"""
from typing import Iterator, List, Optional, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from mmseg.registry import DATASETS
from .datasets.transforms import bind_label_checks
from .label_stats import check_label_values


def source_dataset_cfg(cfg: Config) -> ConfigDict:
    """``train_dataloader.dataset.source`` of a UDADataset, else ``train_dataloader.dataset``."""
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') == 'UDADataset':
        return dataset.source
    return dataset


class SourceLabelMaps:
    """Label maps of a config's source training set, streamed in batches.

    Args:
        cfg (Config): The training config (its ``default_scope`` must be initialised).
        batch_size (int): Label maps per yielded batch.
        num_workers (int): Dataloader workers.
        shuffle (bool): Visit the images in a random order (seeded by ``seed``).
        seed (int): Seed of the shuffled order.
        progress (bool): Show a progress bar (one tick per label map) while iterating.
    """

    def __init__(self, cfg: Config, batch_size: int = 8, num_workers: int = 2,
                 shuffle: bool = False, seed: int = 0, progress: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if num_workers < 0:
            raise ValueError(f'num_workers must be >= 0, got {num_workers}')
        self.dataset_cfg = source_dataset_cfg(cfg)
        self.dataset: BaseDataset = DATASETS.build(self.dataset_cfg)
        bind_label_checks(self.dataset)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.shuffle = shuffle
        self.seed = seed
        self.progress = progress

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def classes(self) -> Tuple[str, ...]:
        """Class names of the source dataset, in label order."""
        return tuple(self.dataset.metainfo['classes'])

    @property
    def ignore_index(self) -> int:
        """Label value that is no class (the dataset's ``ignore_index``, else 255)."""
        return int(getattr(self.dataset, 'ignore_index', 255))

    @property
    def description(self) -> str:
        """``type:data_root`` of the source dataset (the metadata stored in the output files)."""
        return f'{self.dataset_cfg.type}:{self.dataset_cfg.get("data_root")}'

    def batches(self) -> Iterator[List[torch.Tensor]]:
        """The (H, W) label maps of each batch, in dataset order or shuffled.

        Raises:
            KeyError: when a sample has no ``gt_sem_seg`` (the pipeline lacks LoadAnnotations).
            ValueError: naming the label file, on a value that is neither a class id nor the
                ignore index.
        """
        generator = torch.Generator().manual_seed(self.seed) if self.shuffle else None
        loader = DataLoader(self.dataset, batch_size=self.batch_size, shuffle=self.shuffle,
                            generator=generator, num_workers=self.num_workers,
                            collate_fn=pseudo_collate)
        bar: Optional[ProgressBar] = ProgressBar(len(self.dataset)) if self.progress else None
        try:
            for batch in loader:
                labels = []
                for i, sample in enumerate(batch['data_samples']):
                    if 'gt_sem_seg' not in sample:
                        raise KeyError(f'data_samples[{i}] of the source dataset '
                                       f'{self.dataset_cfg.type} has no gt_sem_seg: its '
                                       'pipeline needs LoadAnnotations')
                    label = sample.gt_sem_seg.data[0]
                    check_label_values(label, len(self.classes), self.ignore_index,
                                       f'label file {sample.get("seg_map_path")!r}')
                    labels.append(label)
                if bar is not None:
                    for _ in labels:
                        bar.update()
                yield labels
        finally:  # also when the caller stops early: end the progress bar's line
            if bar is not None:
                print(flush=True)
