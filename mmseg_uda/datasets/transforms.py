"""Label loading that checks what it loads: :class:`LoadCheckedAnnotations`.

A label file of the wrong size, with values outside the class set, or truncated, otherwise
surfaces far from its cause: a ``torch.stack`` size error or a loss ``IndexError`` naming no
file, a label silently resized or padded to its image, an IoU table computed on foreign ids.
The package's dataset configs load labels with :class:`LoadCheckedAnnotations`, which decodes
exactly like MMSeg's ``LoadAnnotations`` and then raises an error naming the file.
"""
from typing import Iterator, Optional, Tuple

from mmcv.transforms import LoadAnnotations as MMCVLoadAnnotations
from torch.utils.data import get_worker_info

from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS
from ..label_values import check_label_values


@TRANSFORMS.register_module()
class LoadCheckedAnnotations(LoadAnnotations):
    """MMSeg's ``LoadAnnotations`` that names the label file when the label is bad.

    Decoding, ``reduce_zero_label`` and the dataset's ``label_map`` are MMSeg's own; then:

    - a file that cannot be decoded (truncated or corrupt PNG) raises naming the file;
    - the label must be a 2-D map of its image's size (``ori_shape``, set by
      ``LoadImageFromFile``; the check is skipped when no image was loaded before), whatever
      transforms ran between the two loads, since ``ori_shape`` is the decoded image's size;
    - every value must be a class id in ``[0, num_classes)`` or ``ignore_index`` (the package's
      one policy, :func:`mmseg_uda.label_values.check_label_values`, after the label map).

    ``num_classes`` and ``ignore_index`` come from the dataset the transform belongs to
    (:func:`bind_label_checks`): ``UDADataset``, the offline label tools and ``DataChecksHook``
    bind them before loading starts, and a dataloader worker binds its own copy from its
    dataset on first use. Without a dataset (a pipeline used on its own) the value check needs
    ``num_classes`` as an argument.

    Args:
        num_classes (int, optional): Number of classes; None: the dataset's.
        ignore_index (int): Label of ignored pixels, replaced by the dataset's when bound.
        **kwargs: ``LoadAnnotations`` arguments (``reduce_zero_label``, ``imdecode_backend``,
            ``backend_args``).
    """

    def __init__(self, num_classes: Optional[int] = None, ignore_index: int = 255,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def bind(self, num_classes: int, ignore_index: int) -> None:
        """Take the class count and ignore index of the dataset this transform loads for."""
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        try:
            super()._load_seg_map(results)
        except FileNotFoundError:
            raise  # already names the file
        except (OSError, ValueError, AttributeError) as err:
            # PIL: OSError "image file is truncated"; cv2 decodes to None: AttributeError
            raise ValueError(f'label file {path!r} cannot be decoded '
                             f'({type(err).__name__}: {err})') from err
        label = results['gt_seg_map']
        image_size = results.get('ori_shape')
        if label.ndim != 2 or (image_size is not None
                               and tuple(label.shape) != tuple(image_size[:2])):
            raise ValueError(f'label file {path!r} is {_size(label.shape)} but its image '
                             f'{results.get("img_path")!r} is {_size(image_size)}: every '
                             'label must be a single-channel map of its image\'s size')
        if self.num_classes is None:
            self._bind_from_worker_dataset()
        if self.num_classes is not None:
            check_label_values(label, self.num_classes, self.ignore_index,
                               f'label file {path!r}')

    def _bind_from_worker_dataset(self) -> None:
        """In a dataloader worker, bind this copy from the worker's copy of the dataset."""
        info = get_worker_info()
        if info is None:
            return
        for _, dataset in leaf_datasets(info.dataset):
            if any(t is self for t in _transforms(dataset)):
                bind_label_checks(dataset)
                return

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, reduce_zero_label={self.reduce_zero_label}, '
                f"imdecode_backend='{self.imdecode_backend}', "
                f'backend_args={self.backend_args})')


def _size(shape) -> str:
    """``'HxW'`` (or the whole shape of a map that is not 2-D)."""
    if shape is None:
        return 'of unknown size'
    shape = tuple(int(s) for s in shape)
    return f'{shape[0]}x{shape[1]} (HxW)' if len(shape) == 2 else f'of shape {shape}'


def _transforms(dataset) -> list:
    """The transforms of ``dataset``'s pipeline, and those of every view of a ``TestTimeAug``
    in it (its ``subroutines``; each transform once)."""
    found: list = []

    def add(steps) -> None:
        for step in steps:
            if not any(step is seen for seen in found):
                found.append(step)
            for view in getattr(step, 'subroutines', []):
                add(getattr(view, 'transforms', []))

    add(getattr(getattr(dataset, 'pipeline', None), 'transforms', []))
    return found


def leaf_datasets(dataset, name: str = 'dataset') -> Iterator[Tuple[str, object]]:
    """``(name, dataset)`` of the datasets with their own pipeline inside ``dataset``: itself,
    or those of the wrappers ``UDADataset`` (``source``, ``target``), ``ConcatDataset``
    (``datasets``) and ``RepeatDataset`` / ``ClassBalancedDataset`` (``dataset``), named by
    their config key relative to ``name`` (e.g. ``'dataset.source'``)."""
    children = [(f'{name}.{key}', getattr(dataset, key)) for key in ('source', 'target', 'dataset')
                if hasattr(dataset, key)]
    children += [(f'{name}.datasets[{i}]', d)
                 for i, d in enumerate(getattr(dataset, 'datasets', []))]
    if not children:
        yield name, dataset
    for child_name, child in children:
        yield from leaf_datasets(child, child_name)


def label_loading_steps(dataset) -> list:
    """The transforms of ``dataset``'s pipeline that load segmentation labels (MMCV's
    ``LoadAnnotations`` and its subclasses, or any transform named ``*LoadAnnotations*``)."""
    return [t for t in _transforms(dataset)
            if isinstance(t, MMCVLoadAnnotations) or 'LoadAnnotations' in type(t).__name__]


def bind_label_checks(dataset) -> int:
    """Bind every :class:`LoadCheckedAnnotations` of ``dataset`` (and of the datasets it wraps)
    to its dataset's class count and ignore index.

    Returns:
        int: The number of transforms bound.

    Raises:
        ValueError: when a transform was configured with another ``num_classes`` than its
            dataset has classes.
    """
    bound = 0
    for _, leaf in leaf_datasets(dataset):
        classes = (getattr(leaf, 'metainfo', None) or {}).get('classes')
        if classes is None:
            continue
        ignore_index = int(getattr(leaf, 'ignore_index', 255))
        for step in _transforms(leaf):
            if not isinstance(step, LoadCheckedAnnotations):
                continue
            if step.num_classes not in (None, len(classes)):
                raise ValueError(f'{type(step).__name__}(num_classes={step.num_classes}) in the '
                                 f'pipeline of {type(leaf).__name__} (data_root='
                                 f'{getattr(leaf, "data_root", None)!r}), which has '
                                 f'{len(classes)} classes; drop num_classes from the config')
            step.bind(len(classes), ignore_index)
            bound += 1
    return bound

