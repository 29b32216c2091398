"""IoU over named class subsets, for benchmarks whose source lacks some target classes."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class ClassSubsetIoUMetric(IoUMetric):
    """MMSeg's ``IoUMetric`` plus the mean IoU over named subsets of the dataset's classes.

    SYNTHIA -> Cityscapes is reported in three ways although the model predicts all 19
    Cityscapes classes: the 19-class ``mIoU`` (the plain ``IoUMetric`` result; the three classes
    absent from SYNTHIA score about 0), the 16-class mIoU (terrain, truck, train removed from
    the benchmark: their ground-truth pixels are ignored) and mIoU* of Tsai et al. (ICCV 2019,
    after AdaptSegNet), the mean over 13 of those 16 per-class IoUs. With::

        ClassSubsetIoUMetric(eval_classes=SYNTHIA_16, subsets=dict(mIoU16=SYNTHIA_16,
                                                                    mIoU13=SYNTHIA_13))

    the metric returns ``aAcc``, ``mIoU``, ``mAcc`` (all classes, as ``IoUMetric``) and
    ``mIoU16``, ``mIoU13`` (percent, two decimals).

    The subset numbers come from a per-image confusion matrix. Ground-truth pixels of classes
    outside ``eval_classes`` are ignored, as in a benchmark where those classes are void;
    a prediction of such a class on a pixel of class ``c`` still counts as a miss of ``c``.
    ``IoU_c = TP_c / (GT_c + Pred_c - TP_c)`` with ``Pred_c`` counted on the evaluated pixels;
    a subset's value is the mean over its classes whose union is non-empty (``nanmean``, as
    ``IoUMetric``).

    Args:
        subsets (dict[str, Sequence[str]]): Metric name -> class names averaged into it.
        eval_classes (Sequence[str], optional): Classes whose ground truth counts for the
            subset metrics; default: all the dataset's classes.
        **kwargs: ``IoUMetric`` arguments (``ignore_index``, ``iou_metrics``, ``prefix``...).
    """

    def __init__(self, subsets: Dict[str, Sequence[str]],
                 eval_classes: Optional[Sequence[str]] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not subsets:
            raise ValueError('ClassSubsetIoUMetric: subsets is empty; give at least one '
                             'name -> class list')
        self.subsets = {name: tuple(classes) for name, classes in subsets.items()}
        self.eval_classes = tuple(eval_classes) if eval_classes is not None else None
        for name, classes in self.subsets.items():
            if not classes:
                raise ValueError(f'ClassSubsetIoUMetric: subsets[{name!r}] is empty')
            if self.eval_classes is not None:
                outside = [c for c in classes if c not in self.eval_classes]
                if outside:
                    raise ValueError(f'ClassSubsetIoUMetric: subsets[{name!r}] has classes '
                                     f'{outside} that are not in eval_classes '
                                     f'{self.eval_classes}')

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """``IoUMetric``'s areas plus the confusion matrix of each sample."""
        start = len(self.results)
        super().process(data_batch, data_samples)
        if self.format_only:
            return
        num_classes = len(self.dataset_meta['classes'])
        for i, data_sample in enumerate(data_samples):
            pred = data_sample['pred_sem_seg']['data'].squeeze()
            label = data_sample['gt_sem_seg']['data'].squeeze().to(pred)
            self.results[start + i] = (*self.results[start + i],
                                       self.confusion_matrix(pred, label, num_classes,
                                                             self.ignore_index))

    @staticmethod
    def confusion_matrix(pred: torch.Tensor, label: torch.Tensor, num_classes: int,
                         ignore_index: int) -> torch.Tensor:
        """``(num_classes, num_classes)`` counts, rows = ground truth, columns = prediction.

        Pixels labelled ``ignore_index`` (or outside ``0..num_classes-1``) are skipped.
        """
        mask = (label != ignore_index) & (label >= 0) & (label < num_classes)
        index = label[mask].long() * num_classes + pred[mask].long()
        return torch.bincount(index, minlength=num_classes**2).reshape(
            num_classes, num_classes).cpu()

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """``IoUMetric``'s metrics, then one mean IoU per subset."""
        metrics = super().compute_metrics([r[:4] for r in results])
        if self.format_only:
            return metrics
        class_names: List[str] = list(self.dataset_meta['classes'])
        confusion = sum(r[4] for r in results).double().numpy()
        evaluated = self._indices(self.eval_classes or class_names, class_names, 'eval_classes')
        true_pos = np.diag(confusion)
        gt = confusion.sum(axis=1)
        pred = confusion[evaluated].sum(axis=0)  # predictions on evaluated ground truth only
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = true_pos / (gt + pred - true_pos)
        for name, classes in self.subsets.items():
            idx = self._indices(classes, class_names, f'subsets[{name!r}]')
            metrics[name] = float(np.round(np.nanmean(iou[idx]) * 100, 2))
        return metrics

    @staticmethod
    def _indices(classes: Sequence[str], class_names: List[str], key: str) -> List[int]:
        """Positions of ``classes`` in the dataset's classes (KeyError naming the unknown one)."""
        unknown = [c for c in classes if c not in class_names]
        if unknown:
            raise KeyError(f'ClassSubsetIoUMetric: {key} names classes {unknown} that the '
                           f'dataset does not have; dataset classes: {class_names}')
        return [class_names.index(c) for c in classes]
