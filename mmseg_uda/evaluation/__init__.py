"""Evaluation metrics (registered into MMSeg's ``METRICS`` on import)."""
from .class_subset_iou_metric import ClassSubsetIoUMetric

__all__ = ['ClassSubsetIoUMetric']
