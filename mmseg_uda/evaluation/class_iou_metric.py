"""MMSeg's IoU metric with each class's IoU among the returned metrics."""
from typing import Dict

import numpy as np

from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class ClassIoUMetric(IoUMetric):
    """``IoUMetric`` that also returns the IoU of every class, as ``IoU.<class name>``.

    MMSeg's ``IoUMetric`` prints the per-class table to the log but returns only the means
    (``aAcc``, ``mIoU``, ``mAcc``), so the per-class numbers of ``Runner.test()`` and of
    ``tools/test.py`` cannot be collected by a script. This metric returns them beside the
    means, in percent with two decimals like the means; a class with neither ground truth nor
    prediction in the evaluated set is ``nan`` (it is left out of ``mIoU`` the same way).

    Args:
        **kwargs: ``IoUMetric`` arguments (``ignore_index``, ``iou_metrics``, ``prefix``...).
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if self.format_only:
            return metrics
        intersect = sum(r[0] for r in results).double().numpy()
        union = sum(r[1] for r in results).double().numpy()
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = intersect / union
        for name, value in zip(self.dataset_meta['classes'], iou):
            metrics[f'IoU.{name}'] = float(np.round(value * 100, 2))
        return metrics
