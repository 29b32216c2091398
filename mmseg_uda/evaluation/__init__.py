"""Evaluation metrics (registered into MMSeg's ``METRICS`` on import)."""
from .class_iou_metric import ClassIoUMetric
from .class_subset_iou_metric import ClassSubsetIoUMetric

__all__ = ['ClassIoUMetric', 'ClassSubsetIoUMetric']
