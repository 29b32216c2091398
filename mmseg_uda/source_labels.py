"""The source training set's label maps, read through a config, for the offline label tools.

``tools/build_patch_modes.py`` (patch modes, Tsai et al., ICCV 2019) and
``tools/compute_class_stats.py`` (class-size statistics, Hoffman et al. 2016) both describe the
labelled SOURCE training data of a UDA config. :class:`SourceLabelMaps` is their one way to
get it: it builds ``train_dataloader.dataset.source`` of a ``UDADataset`` (else
``train_dataloader.dataset``) and yields its label maps batch by batch, with a progress bar, as
the segmentor sees them in training.

By default only the LABEL PATH of the dataset's pipeline runs (:func:`label_path_steps`): the
annotation loading and the geometric transforms that touch ``gt_seg_map`` (resize, crop, flip),
with the sizes and nearest interpolation training uses, while no image file is decoded. A
1914x1052 GTA5 image costs about 7x the decoding time of its label, so this is what makes the
tools run at label-decode speed. The transforms are MMSeg's/MMCV's own objects, built from the
config; where they read the image, they get a zero-stride stand-in of the image's size
(:func:`shape_placeholder`), whose crops and flips are free views; resizes run without an
image; image-only random transforms (photometric distortion) run on a 1x1 image, so that every
random draw of training is made in the same order and the label maps are IDENTICAL to those of
the full pipeline (same worker seeding: the same ``DataLoader``). A transform the label path
does not know is an error naming it; ``full_pipeline=True`` (the tools' ``--full-pipeline``)
runs the config's whole pipeline instead, images decoded, as the reference.

The image size comes from the image file's header (``LoadImageFromFile`` replaced by
:class:`ImageSizeFromHeader`), so ``LoadCheckedAnnotations`` still refuses a label of another
size than its image, naming both files. Every label map is checked with the package's one
label-value policy (:func:`mmseg_uda.label_values.check_label_values`) in the dataloader worker
(by ``LoadCheckedAnnotations`` as it loads, else by :class:`LabelOutput`), so both tools reject
a value outside the class set naming its file, as training does.
"""
import os.path as osp
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import LoadAnnotations as MMCVLoadAnnotations
from mmcv.transforms import LoadImageFromFile, Normalize, RandomChoiceResize
from mmcv.transforms import RandomFlip as MMCVRandomFlip
from mmcv.transforms import RandomGrayscale, RandomResize
from mmcv.transforms import Resize as MMCVResize
from mmengine import fileio
from mmengine.config import Config, ConfigDict
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.utils import ProgressBar
from PIL import Image
from torch.utils.data import DataLoader

from mmseg.datasets.transforms import (CLAHE, AdjustGamma, GenerateEdge, PackSegInputs,
                                       PhotoMetricDistortion, RandomCrop, RandomFlip, Resize,
                                       Rerange, RGB2Gray)
from mmseg.registry import DATASETS, TRANSFORMS
from .datasets.transforms import (LoadCheckedAnnotations, bind_label_checks,
                                  label_loading_steps, leaf_datasets)
from .label_values import check_label_values

Step = Callable[[dict], Optional[dict]]

#: Resizes whose label part is ``Resize._resize_seg`` (nearest), run without an image.
RESIZES = (MMCVResize, Resize)
#: Resizes that draw a scale, then call an inner resize of ``RESIZES``.
RANDOM_RESIZES = (RandomResize, RandomChoiceResize)
#: Geometric transforms that read only the image's size and slice or flip it.
SHAPE_ONLY = (RandomCrop, RandomFlip, MMCVRandomFlip)
#: Random transforms of the image alone: run on a 1x1 image for their random draws.
RANDOM_IMAGE_ONLY = (PhotoMetricDistortion, RandomGrayscale)
#: Deterministic transforms that leave ``gt_seg_map`` unchanged: left out.
LABEL_UNCHANGED = (Normalize, AdjustGamma, CLAHE, Rerange, RGB2Gray, GenerateEdge, PackSegInputs)


def source_dataset_key(cfg: Config) -> str:
    """The config key of the source training set: ``'train_dataloader.dataset.source'`` for a
    UDADataset, else ``'train_dataloader.dataset'``."""
    uda = cfg.train_dataloader.dataset.get('type') == 'UDADataset'
    return 'train_dataloader.dataset.source' if uda else 'train_dataloader.dataset'


def source_dataset_cfg(cfg: Config) -> ConfigDict:
    """``train_dataloader.dataset.source`` of a UDADataset, else ``train_dataloader.dataset``."""
    dataset = cfg.train_dataloader.dataset
    return dataset.source if source_dataset_key(cfg).endswith('.source') else dataset


def shape_placeholder(height: int, width: int) -> np.ndarray:
    """A read-only zero-stride (H, W, 3) uint8 array: an image's size without its pixels.

    Slicing (``RandomCrop``) and flipping (``mmcv.imflip``) it are views and cost nothing.
    """
    return np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (int(height), int(width), 3))


def image_file_size(path: str, backend_args: Optional[dict] = None) -> Tuple[int, int]:
    """``(H, W)`` of an image file from its header (PIL opens lazily: no pixel is decoded)."""
    with fileio.get_local_path(path, backend_args=backend_args) as local:
        with Image.open(local) as image:
            width, height = image.size
    return height, width


class ImageSizeFromHeader:
    """The label path's ``LoadImageFromFile``: the image's size from its file header.

    Sets ``img_shape`` and ``ori_shape`` as ``LoadImageFromFile`` does, and ``img`` to a
    :func:`shape_placeholder`; a missing or unreadable file is an error (or, with the loader's
    ``ignore_empty``, a skipped sample) as in training. The decoded size equals the header's
    for the PNG files of the segmentation datasets (EXIF orientation is not applied).

    Args:
        loader (LoadImageFromFile): The config's image loader (for its ``backend_args`` and
            ``ignore_empty``).
    """

    def __init__(self, loader: LoadImageFromFile) -> None:
        self.backend_args = getattr(loader, 'backend_args', None)
        self.ignore_empty = bool(getattr(loader, 'ignore_empty', False))

    def __call__(self, results: dict) -> Optional[dict]:
        try:
            height, width = image_file_size(results['img_path'], self.backend_args)
        except Exception:
            if self.ignore_empty:
                return None
            raise
        results['img'] = shape_placeholder(height, width)
        results['img_shape'] = results['ori_shape'] = (height, width)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ignore_empty={self.ignore_empty})'


class ImageOfLabelSize:
    """After the label is loaded: the image stand-in takes the label map's size.

    ``LoadCheckedAnnotations`` has refused a label of another size than its image by then.
    """

    def __call__(self, results: dict) -> dict:
        height, width = results['gt_seg_map'].shape[:2]
        results['img'] = shape_placeholder(height, width)
        results['img_shape'] = (height, width)
        return results


class ResizeWithoutImage:
    """A resize of ``RESIZES`` / ``RANDOM_RESIZES`` run on the labels alone.

    MMCV's ``Resize`` resizes the image only when ``results['img']`` exists, and its label part
    (``_resize_seg``: nearest, same scale and ``keep_ratio``) does not read the image; the
    stand-in is taken out for the call and put back at the resized label's size.

    Args:
        resize (BaseTransform): The config's resize transform.
    """

    def __init__(self, resize: Step) -> None:
        self.resize = resize

    def __call__(self, results: dict) -> dict:
        results.pop('img', None)
        return ImageOfLabelSize()(self.resize(results))

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.resize!r})'


class RandomDrawsOnly:
    """An image-only random transform run on a 1x1 image, its output dropped.

    Its random draws do not depend on the image's content or size, so the numbers drawn after
    it (e.g. the next sample's crop) are those of training.

    Args:
        transform (BaseTransform): The config's transform (e.g. ``PhotoMetricDistortion``).
    """

    def __init__(self, transform: Step) -> None:
        self.transform = transform

    def __call__(self, results: dict) -> dict:
        self.transform(dict(img=np.zeros((1, 1, 3), np.uint8)))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.transform!r})'


def _known_types() -> str:
    kinds = (LoadImageFromFile, MMCVLoadAnnotations) + RESIZES + RANDOM_RESIZES + SHAPE_ONLY \
        + RANDOM_IMAGE_ONLY + LABEL_UNCHANGED
    return ', '.join(sorted({k.__name__ for k in kinds}))


def label_role(step: Step) -> Optional[str]:
    """What the label path does with a built transform, by its exact type (None: unknown).

    ``'image'`` (``LoadImageFromFile``), ``'labels'`` (``LoadAnnotations`` and subclasses),
    ``'resize'`` (``RESIZES`` with a ``scale``, ``RANDOM_RESIZES`` of such a resize),
    ``'shape'`` (``SHAPE_ONLY``, and a ``Resize`` given only a ``scale_factor``, which reads the
    image's size), ``'draws'`` (``RANDOM_IMAGE_ONLY``) or ``'unchanged'``
    (``LABEL_UNCHANGED``).
    """
    kind = type(step)
    if kind is LoadImageFromFile:
        return 'image'
    if isinstance(step, MMCVLoadAnnotations):
        return 'labels'
    if kind in RESIZES:
        return 'resize' if step.scale else 'shape'
    if kind in RANDOM_RESIZES:
        return 'resize' if type(step.resize) in RESIZES else None
    if kind in SHAPE_ONLY:
        return 'shape'
    if kind in RANDOM_IMAGE_ONLY:
        return 'draws'
    if kind in LABEL_UNCHANGED:
        return 'unchanged'
    return None


def label_path_steps(pipeline: Sequence[Union[dict, Step]], where: str) -> List[Step]:
    """The label path of a training pipeline: the steps that load and transform its labels.

    Each entry is built (``TRANSFORMS.build``) and, by :func:`label_role`, replaced, kept,
    wrapped or left out:

    - ``'image'``: :class:`ImageSizeFromHeader` (no decoding);
    - ``'labels'``: kept, then :class:`ImageOfLabelSize`;
    - ``'resize'``: :class:`ResizeWithoutImage`;
    - ``'shape'`` (``RandomCrop``, ``RandomFlip``): kept, they crop/flip the stand-in image;
    - ``'draws'`` (``PhotoMetricDistortion``): :class:`RandomDrawsOnly`;
    - ``'unchanged'`` (``Normalize``, ``PackSegInputs``...): left out.

    Args:
        pipeline (Sequence[dict | callable]): The dataset's ``pipeline`` config.
        where (str): Its config key, for the error messages.

    Returns:
        list[callable]: The steps, to compose.

    Raises:
        ValueError: naming the transform and its position when its role is unknown or when a
            resize, crop or flip comes before the labels are loaded; when no step loads labels.
    """
    steps: List[Step] = []
    loaded = False
    for i, entry in enumerate(pipeline):
        step = TRANSFORMS.build(entry) if isinstance(entry, dict) else entry
        role, name = label_role(step), type(step).__name__
        if type(step) in RANDOM_RESIZES:
            name += f' of a {type(step.resize).__name__}'
        if role is None:
            raise ValueError(f'{where}[{i}] ({name}) is not a transform the label path of the '
                             'offline label tools knows, so it cannot tell what it does to the '
                             f'labels (known: {_known_types()}); use --full-pipeline to decode '
                             'the images and run the whole pipeline')
        if role in ('resize', 'shape') and not loaded:
            raise ValueError(f'{where}[{i}] ({name}) comes before the labels are loaded: the '
                             'label path of the offline label tools cannot apply it without '
                             'the image; load the labels first, or use --full-pipeline')
        if role == 'image':
            steps.append(ImageSizeFromHeader(step))
        elif role == 'labels':
            steps += [step, ImageOfLabelSize()]
            loaded = True
        elif role == 'resize':
            steps.append(ResizeWithoutImage(step))
        elif role == 'shape':
            steps.append(step)
        elif role == 'draws':
            steps.append(RandomDrawsOnly(step))
    if not loaded:
        raise ValueError(f'{where} loads no labels: it needs LoadCheckedAnnotations (or '
                         'LoadAnnotations)')
    return steps


class LabelOutput:
    """Last pipeline step of :class:`SourceLabelMaps`: the checked label map and its file.

    Takes ``gt_seg_map`` (label path) or ``data_samples.gt_sem_seg`` (full pipeline, after
    ``PackSegInputs``), checks its values (:func:`~mmseg_uda.label_values.check_label_values`)
    unless told they are checked already, and returns ``dict(gt_seg_map=Tensor (H, W),
    seg_map_path=str)``.

    Args:
        where (str): The dataset, for the error messages.
        num_classes (int): Classes of the dataset.
        ignore_index (int): Its label of ignored pixels.
        check (bool): Check the values. A label path whose labels are all loaded by a bound
            ``LoadCheckedAnnotations`` needs no second check: its resizes are nearest, its
            crops and flips move pixels, none of them makes a new value.
    """

    def __init__(self, where: str, num_classes: int, ignore_index: int,
                 check: bool = True) -> None:
        self.where = where
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.check = check

    def __call__(self, results: dict) -> Dict[str, Any]:
        if 'gt_seg_map' in results:
            label = torch.from_numpy(np.ascontiguousarray(results['gt_seg_map']))
            path = results.get('seg_map_path')
        else:
            sample = results['data_samples']
            if 'gt_sem_seg' not in sample:
                raise KeyError(f'a sample of {self.where} has no gt_sem_seg: its pipeline '
                               'needs LoadAnnotations')
            label, path = sample.gt_sem_seg.data[0], sample.get('seg_map_path')
        if self.check:
            check_label_values(label, self.num_classes, self.ignore_index,
                               f'label file {path!r}')
        return dict(gt_seg_map=label, seg_map_path=path)


class SourceLabelMaps:
    """Label maps of a config's source training set, streamed in batches.

    Args:
        cfg (Config): The training config (its ``default_scope`` must be initialised).
        batch_size (int): Label maps per yielded batch.
        num_workers (int): Dataloader workers (they load and transform the labels).
        shuffle (bool): Visit the images in a random order (seeded by ``seed``).
        seed (int): Seed of the shuffled order; with ``shuffle`` it also fixes the workers'
            seeds (torch's ``DataLoader`` derives them from the order's generator), so the
            random transforms draw the same numbers on every run.
        progress (bool): Show a progress bar (one tick per label map) while iterating.
        full_pipeline (bool): Run the dataset's whole pipeline, images decoded, instead of its
            label path (:func:`label_path_steps`); the label maps are the same, it is slower.

    Raises:
        ValueError: from :func:`label_path_steps`, naming a transform the label path does not
            know; for a dataset wrapper (e.g. ``RepeatDataset``: only ``full_pipeline`` reads
            it); on a bad ``batch_size`` / ``num_workers``.
    """

    def __init__(self, cfg: Config, batch_size: int = 8, num_workers: int = 2,
                 shuffle: bool = False, seed: int = 0, progress: bool = True,
                 full_pipeline: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if num_workers < 0:
            raise ValueError(f'num_workers must be >= 0, got {num_workers}')
        self.dataset_cfg = source_dataset_cfg(cfg)
        key = source_dataset_key(cfg)
        dataset_cfg = self.dataset_cfg.to_dict()
        if not full_pipeline:
            if 'pipeline' not in dataset_cfg:
                raise ValueError(f'{key} ({dataset_cfg.get("type")}) has no pipeline of its '
                                 'own (a dataset wrapper?): the label path needs one; use '
                                 '--full-pipeline')
            dataset_cfg['pipeline'] = label_path_steps(dataset_cfg['pipeline'],
                                                       f'{key}.pipeline')
        self.dataset: BaseDataset = DATASETS.build(dataset_cfg)
        bind_label_checks(self.dataset)
        checked = not full_pipeline and all(
            isinstance(t, LoadCheckedAnnotations) and t.num_classes == len(self.classes)
            and t.ignore_index == self.ignore_index for t in label_loading_steps(self.dataset))
        output = LabelOutput(f'{key} ({dataset_cfg["type"]})', len(self.classes),
                             self.ignore_index, check=not checked)
        for _, leaf in leaf_datasets(self.dataset):  # a wrapper's datasets (full pipeline)
            leaf.pipeline.transforms.append(output)
        self.full_pipeline = full_pipeline
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

        The label maps keep the dtype of the loaded labels (uint8), which moves 8x fewer bytes
        out of the workers than the int64 of ``PackSegInputs``; the statistics are the same.

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
                labels = batch['gt_seg_map']
                if bar is not None:
                    for _ in labels:
                        bar.update()
                yield labels
        finally:  # also when the caller stops early: end the progress bar's line
            if bar is not None:
                print(flush=True)


def source_label_stats(cfg: Config, progress: Callable = lambda items: items) -> Dict[str, Any]:
    """Per-image class pixel counts of the config's source training set, in the format of the
    dataset converters' ``label_stats.json`` (``mmseg_uda.datasets.convert``).

    Each label file is read by the label-loading transform of the source pipeline alone (the
    dataset's ``reduce_zero_label`` and ``label_map`` apply), at its stored resolution.

    Args:
        cfg: The training config (its ``default_scope`` initialised).
        progress: Wraps the iteration over the samples (a progress bar).

    Returns:
        dict: ``dataset``, ``classes``, ``ignore_index``, ``num_images``, ``class_pixels``,
        ``class_images`` and ``images`` (label file base name -> ``height``, ``width``,
        ``pixels``).

    Raises:
        ValueError: When the source pipeline loads no labels, or two label files share a base
            name.
    """
    key = source_dataset_key(cfg)
    dataset_cfg = source_dataset_cfg(cfg).to_dict()
    def loads_labels(step) -> bool:
        kind = step.get('type') if isinstance(step, dict) else type(step)
        kind = TRANSFORMS.get(kind) if isinstance(kind, str) else kind
        return isinstance(kind, type) and issubclass(kind, MMCVLoadAnnotations)

    loads = [t for t in dataset_cfg.get('pipeline', []) if loads_labels(t)]
    if not loads:
        raise ValueError(f'{key}.pipeline loads no labels (no LoadAnnotations step)')
    dataset_cfg['pipeline'] = [loads[0]]
    dataset: BaseDataset = DATASETS.build(dataset_cfg)
    bind_label_checks(dataset)
    classes = [str(c) for c in dataset.metainfo['classes']]
    ignore_index = int(getattr(dataset, 'ignore_index', 255))
    images: Dict[str, dict] = {}
    pixels = np.zeros(len(classes), dtype=np.int64)
    present = np.zeros(len(classes), dtype=np.int64)
    for idx in progress(range(len(dataset))):
        info = dataset.get_data_info(idx)
        name = osp.basename(info['seg_map_path'])
        if name in images:
            raise ValueError(f'{key}: two label files are named {name!r}; label_stats.json keys '
                             'them by base name')
        label = np.asarray(dataset.pipeline(info)['gt_seg_map'])
        counts = np.bincount(label.ravel(), minlength=256)[:len(classes)].astype(np.int64)
        images[name] = dict(height=int(label.shape[0]), width=int(label.shape[1]),
                            pixels=counts.tolist())
        pixels += counts
        present += counts > 0
    return dict(dataset=type(dataset).__name__, classes=classes, ignore_index=ignore_index,
                num_images=len(images), class_pixels=pixels.tolist(),
                class_images=present.tolist(), images=dict(sorted(images.items())))
