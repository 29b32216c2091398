"""Paired source/target dataset for unsupervised domain adaptation."""
import copy
import os.path as osp
from typing import Any, Dict, NamedTuple, Optional, Union

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import BaseDataset

from mmseg.registry import DATASETS
from mmseg.utils import ConfigType
from ..pseudo_labels import PSEUDO_LABEL_SUFFIX, check_pseudo_label_folder, read_manifest
from .file_checks import FileCheckMixin, check_label_files
from .rare_class_sampling import CROP_TRIES, RareClassSampler
from .transforms import bind_label_checks, label_loading_steps


class UDAIndex(NamedTuple):
    """An index into :class:`UDADataset` that says whether to load a target sample too (see
    :class:`~mmseg_uda.datasets.UDAWarmupBatchSampler`)."""
    index: int
    with_target: bool


def _load_annotation_steps(dataset: BaseDataset) -> list:
    """Names of the pipeline transforms of ``dataset`` that read segmentation labels."""
    return [type(t).__name__ for t in label_loading_steps(dataset)]


def _load(dataset: BaseDataset, idx: int, domain: str) -> dict:
    """``dataset[idx]``; an error gets a note naming the domain, the index and the image."""
    try:
        return dataset[idx]
    except Exception as err:
        err.add_note(f'UDADataset: while loading {domain} sample {idx} '
                     f'({dataset.get_data_info(idx).get("img_path")!r})')
        raise


def _as_tuples(items) -> list:
    """``items`` with nested lists turned into tuples, for order-sensitive comparison."""
    return [tuple(x) if isinstance(x, (list, tuple)) else x for x in items]


def pseudo_labelled_target(target: ConfigType, folder: str) -> dict:
    """The target dataset config reading its labels from the pseudo-label ``folder``.

    ``data_prefix.seg_map_path`` becomes the (absolute) folder and ``seg_map_suffix`` ``.png``,
    so MMSeg's ``BaseSegDataset`` pairs each image with the file
    :func:`~mmseg_uda.pseudo_labels.pseudo_label_path` names; ``LoadCheckedAnnotations`` is
    inserted right after the pipeline's ``LoadImageFromFile``, so the transforms after it
    (resize, crop, flip) apply to the pseudo labels too.
    """
    pipeline = list(target.get('pipeline') or [])
    loads_image = [i for i, t in enumerate(pipeline)
                   if isinstance(t, dict) and t.get('type') in ('LoadImageFromFile',
                                                                 LoadImageFromFile)]
    if not loads_image:
        raise ValueError('UDADataset: target_pseudo_labels needs a target pipeline that starts '
                         f"with LoadImageFromFile, got {[t.get('type') for t in pipeline]}")
    pipeline.insert(loads_image[0] + 1, dict(type='LoadCheckedAnnotations'))
    prefix = dict(target.get('data_prefix') or {}, seg_map_path=osp.abspath(folder))
    return dict(target, data_prefix=prefix, seg_map_suffix=PSEUDO_LABEL_SUFFIX, pipeline=pipeline)


@DATASETS.register_module()
class UDADataset:
    """A labelled source dataset paired with an unlabelled target dataset.

    Item ``i`` is ``dict(source=source[i], target=target[j])``: the dataset's length is the
    source dataset's, and ``j`` is drawn uniformly at random (numpy's global generator, which
    mmengine seeds per worker from ``randomness.seed``) so that the pairing changes from epoch
    to epoch and every target image is used whatever the two lengths are. The target pipeline
    must not load labels: in UDA the target domain is unlabelled during training, and this
    wrapper refuses a target pipeline containing ``LoadAnnotations``.

    Pseudo labels are the one exception, and an explicit one: ``target_pseudo_labels`` names a folder of pseudo labels
    written by ``tools/generate_pseudo_labels.py`` (offline self-training, CBST, Zou et al.
    ECCV 2018). The target dataset then reads its labels from that folder (one ``.png`` per
    image, at the image's path relative to its image folder; the target's own label folder is
    never read): the wrapper adds ``LoadCheckedAnnotations`` after the target pipeline's
    ``LoadImageFromFile`` (which also checks the values as they load; the configured target
    pipeline stays label-free, so AdaBN and the pseudo-label tool read the same target set), and
    ``full_init`` checks that the folder matches the target set: the
    classes it was written for, no image without a pseudo label, no pseudo label without an
    image, each of its image's size (errors name the first mismatch). The target samples then
    carry the pseudo labels as ``gt_sem_seg``, which
    :class:`~mmseg_uda.models.adaptation.PseudoLabelTraining` trains on.

    Both domains must share classes, palette and ignore index, and every source image must
    have its label file (checked at ``full_init``); the source labels' values and sizes are
    checked as they load (:class:`~mmseg_uda.datasets.LoadCheckedAnnotations`).

    Args:
        source (dict | BaseDataset): Labelled source dataset (config).
        target (dict | BaseDataset): Unlabelled target dataset (config; a config, not a built
            dataset, when ``target_pseudo_labels`` is given).
        lazy_init (bool): Defer loading the annotation lists until ``full_init``.
        target_pseudo_labels (str, optional): Folder of target pseudo labels (see above); None
            (default): target labels are never read.
        rare_class_sampling (dict, optional): Rare-class sampling of DAFormer
            (:class:`~mmseg_uda.datasets.rare_class_sampling.RareClassSampler`): ``stats_file``
            (a ``label_stats.json`` of the source set), ``class_temp`` (0.01), ``min_pixels``
            (3000), ``min_crop_ratio`` (0.5). Each item's source sample is then drawn by it
            (the index only says whether to load a target sample); checked against the
            source set at ``full_init``.
    """

    def __init__(self, source: Union[ConfigType, BaseDataset],
                 target: Union[ConfigType, BaseDataset], lazy_init: bool = False,
                 target_pseudo_labels: Optional[str] = None,
                 rare_class_sampling: Optional[dict] = None) -> None:
        # Sub-datasets are built lazily so that full_init can name an empty domain's folder.
        self.source = DATASETS.build(dict(source, lazy_init=True)) \
            if isinstance(source, dict) else source
        self.target_pseudo_labels = None if target_pseudo_labels is None \
            else osp.abspath(target_pseudo_labels)
        if self.target_pseudo_labels is not None and not isinstance(target, dict):
            raise TypeError('UDADataset: target_pseudo_labels needs the target as a config '
                            f'dict, got a built {type(target).__name__}')
        self.target = DATASETS.build(dict(target, lazy_init=True)) \
            if isinstance(target, dict) else target
        steps = _load_annotation_steps(self.target)
        if steps:
            raise ValueError(f'UDADataset: the target pipeline contains {steps}; target labels '
                             'must not be read during training. Remove it from the target '
                             'pipeline (evaluate the target domain with val_dataloader); '
                             'target_pseudo_labels=DIR adds the loading of pseudo labels.')
        if self.target_pseudo_labels is not None:
            read_manifest(self.target_pseudo_labels)  # a folder the tool wrote, or an error
            self.target = DATASETS.build(dict(
                pseudo_labelled_target(target, self.target_pseudo_labels), lazy_init=True))
        self._metainfo = copy.deepcopy(self.source.metainfo)
        if rare_class_sampling is not None:
            known = {'stats_file', 'class_temp', 'min_pixels', 'min_crop_ratio'}
            unknown = sorted(set(rare_class_sampling) - known)
            if unknown or 'stats_file' not in rare_class_sampling:
                raise ValueError(f'UDADataset rare_class_sampling takes {sorted(known)} '
                                 f'(stats_file required), got {dict(rare_class_sampling)!r}')
        self.rare_class_sampling = None if rare_class_sampling is None else dict(
            rare_class_sampling)
        self.rare_class_sampler: Optional[RareClassSampler] = None
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """Meta information of the source dataset (shared by both domains)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Load both annotation lists and check the domains are compatible."""
        if self._fully_initialized:
            return
        for name, dataset in (('source', self.source), ('target', self.target)):
            try:
                dataset.full_init()
                empty = len(dataset) == 0
            except ValueError:
                # mmengine fails to serialise an empty list with a numpy message
                if getattr(dataset, 'data_list', None) != []:
                    raise
                empty = True
            if empty:
                prefix = getattr(dataset, 'data_prefix', {})
                raise ValueError(f'UDADataset: the {name} dataset is empty (data_root='
                                 f"{getattr(dataset, 'data_root', None)!r}, "
                                 f'data_prefix={prefix!r})')
        self._check_compatible()
        if self.target_pseudo_labels is not None:
            check_pseudo_label_folder(
                self.target_pseudo_labels, self.target.metainfo['classes'],
                [(info['img_path'], info['seg_map_path'])
                 for info in (self.target.get_data_info(i) for i in range(len(self.target)))])
        if not isinstance(self.source, FileCheckMixin):  # the mixin checked at loading
            check_label_files(self.source, [self.source.get_data_info(i)
                                            for i in range(len(self.source))])
        bind_label_checks(self)
        if self.rare_class_sampling is not None:
            self.rare_class_sampler = RareClassSampler(
                classes=self.source.metainfo['classes'],
                seg_map_paths=[self.source.get_data_info(i)['seg_map_path']
                               for i in range(len(self.source))],
                **self.rare_class_sampling)
        self._fully_initialized = True

    def _check_compatible(self) -> None:
        src, tgt = self.source.metainfo, self.target.metainfo
        for key in ('classes', 'palette'):
            a, b = src.get(key), tgt.get(key)
            if a is not None and b is not None and _as_tuples(a) != _as_tuples(b):
                raise ValueError(f'UDADataset: source and target {key} differ: '
                                 f'source {key}={a!r}, target {key}={b!r}')
        a = getattr(self.source, 'ignore_index', None)
        b = getattr(self.target, 'ignore_index', None)
        if a != b:
            raise ValueError(f'UDADataset: source and target ignore_index differ: '
                             f'source ignore_index={a!r}, target ignore_index={b!r}')

    def __len__(self) -> int:
        self.full_init()
        return len(self.source)

    def __getitem__(self, idx: Union[int, UDAIndex]) -> Dict[str, Any]:
        """``dict(source=..., target=...)``; ``dict(source=...)`` for a :class:`UDAIndex` whose
        ``with_target`` is False (the warm-up, see :class:`UDAWarmupBatchSampler`)."""
        self.full_init()
        with_target = True
        if isinstance(idx, UDAIndex):
            idx, with_target = idx.index, idx.with_target
        source = self._rare_class_source() if self.rare_class_sampler is not None else _load(
            self.source, idx, 'source')
        if not with_target:
            return dict(source=source)
        target_idx = np.random.randint(len(self.target))
        return dict(source=source, target=_load(self.target, target_idx, 'target'))

    def _rare_class_source(self) -> Dict[str, Any]:
        """A source sample drawn by rare-class sampling: class, image, then the pipeline re-run
        (a new random crop) until the crop holds enough of the class."""
        sampler = self.rare_class_sampler
        c, idx = sampler.draw()
        sample = _load(self.source, idx, 'source')
        for _ in range(CROP_TRIES):
            if sampler.enough(sample['data_samples'].gt_sem_seg.data.numpy(), c):
                break
            sample = _load(self.source, idx, 'source')
        return sample

    def get_data_info(self, idx: int) -> dict:
        """The source sample's data info (what the sampler indexes)."""
        return self.source.get_data_info(idx)
