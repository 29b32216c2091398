"""The data checked against the model before the first iteration: :class:`DataChecksHook`."""
from typing import List, Optional, Sequence, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from torch import nn

from mmseg.registry import HOOKS
from ..datasets.file_checks import FileCheckMixin, check_label_files
from ..datasets.transforms import bind_label_checks, label_loading_steps, leaf_datasets
from ..datasets.uda_dataset import UDADataset
from ..datasets.warmup_sampler import sync_warmup_sampler
from .strict_load import inner_model

#: The runner's loops and the config key of their dataloader.
LOOPS = (('_train_loop', 'train_dataloader'), ('_val_loop', 'val_dataloader'),
         ('_test_loop', 'test_dataloader'))


def decode_head_num_classes(model: nn.Module) -> Tuple[Optional[int], str]:
    """``num_classes`` of the model's decode head and its config key (``None`` without one).

    Reaches through model wrappers (DDP), MMSeg's ``SegTTAModel`` (``tools/test.py --tta``) and
    :class:`~mmseg_uda.models.UDASegmentor`.
    """
    model = inner_model(model)
    key = 'model'
    if hasattr(model, 'segmentor'):
        model, key = model.segmentor, 'model.segmentor'
    head = getattr(model, 'decode_head', None)
    if head is None or getattr(head, 'num_classes', None) is None:
        return None, key
    return int(head.num_classes), f'{key}.decode_head.num_classes'


def _describe(name: str, dataset) -> str:
    return (f'{name} ({type(dataset).__name__}, data_root='
            f'{getattr(dataset, "data_root", None)!r})')


def loop_datasets(runner) -> List[Tuple[str, object]]:
    """``(config key, dataset)`` of the dataloaders of the loops this run has built (training:
    train and val; testing: test), without building any other."""
    found = []
    for attr, key in LOOPS:
        loop = getattr(runner, attr, None)
        if isinstance(loop, BaseLoop):
            found.append((f'{key}.dataset', loop.dataloader.dataset))
    return found


def check_num_classes(num_classes: int, key: str, datasets: Sequence[Tuple[str, object]]) -> None:
    """Every dataset must have ``num_classes`` classes, and all of them the same names.

    Raises:
        ValueError: naming the model's count, the dataset (config key, type, data_root) and its
            classes; or the two datasets whose class names differ.
    """
    reference = None
    for name, dataset in datasets:
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if classes is None:
            continue
        classes = [str(c) for c in classes]
        if len(classes) != num_classes:
            raise ValueError(f'{key}={num_classes} but {_describe(name, dataset)} has '
                             f'{len(classes)} classes {classes}; set num_classes of the model\'s '
                             'heads to the dataset\'s class count (or fix the dataset)')
        if reference is None:
            reference = (name, classes)
        elif classes != reference[1]:
            raise ValueError(f'{_describe(name, dataset)} has the classes {classes} but '
                             f'{reference[0]} has {reference[1]}: the model predicts one class '
                             'set, every dataset must list it in the same order')


def check_run_data(runner) -> None:
    """All the checks of :class:`DataChecksHook` on the loops of ``runner`` that are built."""
    sync_warmup_sampler(runner)
    loops = loop_datasets(runner)
    leaves = [leaf for name, dataset in loops for leaf in leaf_datasets(dataset, name)]
    num_classes, head_key = decode_head_num_classes(runner.model)
    if num_classes is not None:
        check_num_classes(num_classes, head_key, leaves)
    for _, dataset in loops:
        bind_label_checks(dataset)
        if isinstance(dataset, UDADataset):  # its full_init checked the source label files
            continue
        for _, leaf in leaf_datasets(dataset):
            if label_loading_steps(leaf) and not isinstance(leaf, FileCheckMixin):
                check_label_files(leaf, [leaf.get_data_info(i) for i in range(len(leaf))])
    model = inner_model(runner.model)
    for name, dataset in loops:
        if name.startswith('train_dataloader.') and isinstance(dataset, UDADataset):
            for module in model.modules():
                check = getattr(module, 'check_train_dataset', None)
                if callable(check):
                    check(dataset, name)
    labelled_train = [(name, leaf) for name, leaf in leaves
                      if name.startswith('train_dataloader.') and label_loading_steps(leaf)]
    classes = labelled_train[0][1].metainfo.get('classes') if labelled_train else None
    if classes is not None:
        name, source = labelled_train[0]
        classes = [str(c) for c in classes]
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for module in model.modules():
            check = getattr(module, 'check_dataset_classes', None)
            if callable(check):
                check(classes, _describe(name, source))
    runner.logger.info(f'DataChecksHook: {head_key}={num_classes}, classes of '
                       f'{[name for name, _ in leaves]} checked; label sizes and values are '
                       'checked as they load')


@HOOKS.register_module()
class DataChecksHook(Hook):
    """Check the datasets against the model before the first iteration.

    At ``before_run`` of training and testing, on the datasets of the loops the run uses
    (training: train, both domains of a ``UDADataset``, and val; testing: test):

    - the model's ``decode_head.num_classes`` equals every dataset's number of classes, and all
      the datasets list the same class names in the same order (otherwise the IoU table names
      rows after the wrong classes, or a model trains on ids outside the dataset's class set);
    - every :class:`~mmseg_uda.datasets.LoadCheckedAnnotations` in their pipelines is bound to
      its dataset's class count and ignore index, so each label's size and values are checked
      as it loads, naming the file;
    - every image of an evaluation (or plain training) set has its label file;
    - a :class:`~mmseg_uda.datasets.UDAWarmupBatchSampler` of the train dataloader follows
      ``model.warmup_iters`` (:func:`~mmseg_uda.datasets.warmup_sampler.sync_warmup_sampler`);
    - each module of the model with a ``check_dataset_classes(classes, dataset)`` method (e.g.
      the patch-modes and class-size statistics files of ``PatchAlignment`` and
      ``CategoryAdaptation``) is checked against the labelled training dataset's class names;
    - each module with a ``check_train_dataset(dataset, key)`` method is given the training
      ``UDADataset`` (``DACS``: a source and a target sample after their pipelines have one
      size, as ClassMix pastes pixel for pixel);
    - at ``before_train``, after the checkpoint is loaded, those files' content is there: read
      from the file, or from the loaded checkpoint when the file is missing.

    It is a ``default_hooks`` entry of the package's schedules (``data_checks``), so configs
    that replace ``custom_hooks`` keep it; ``default_hooks.data_checks=None`` turns it off.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        check_run_data(runner)

    def before_train(self, runner) -> None:
        """After the runner loaded its checkpoint: every module with file-backed content
        (:class:`~mmseg_uda.models.adaptation.base_adaptation.CheckpointedFileState`) has it
        from its file or from that checkpoint; a missing file is an error naming the command
        that builds it."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for module in model.modules():
            check = getattr(module, 'check_file_state', None)
            if callable(check):
                check()
