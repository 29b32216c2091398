"""ClassIoUMetric: MMSeg's IoUMetric means plus every class's IoU, checked against counts."""
import math

import torch
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from mmseg_uda.evaluation import ClassIoUMetric


def sample(pred, label) -> dict:
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.tensor(pred)[None])
    s.gt_sem_seg = PixelData(data=torch.tensor(label)[None])
    return s.to_dict()


def run(metric, samples):
    metric.dataset_meta = dict(classes=('road', 'car', 'sky'))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_per_class_iou_from_counts_and_means_as_iou_metric():
    samples = [sample([[0, 0, 1, 1]], [[0, 1, 1, 255]]),
               sample([[0, 1, 1, 0]], [[0, 1, 0, 0]])]
    got = run(ClassIoUMetric(), samples)
    ref = run(IoUMetric(), samples)
    # the pixels of both samples whose label is not 255, as (prediction, ground truth)
    pred = [0, 0, 1, 0, 1, 1, 0]
    gt = [0, 1, 1, 0, 1, 0, 0]
    for c, name in enumerate(('road', 'car')):
        tp = sum(p == g == c for p, g in zip(pred, gt))
        union = sum(p == c or g == c for p, g in zip(pred, gt))
        assert got[f'IoU.{name}'] == round(100 * tp / union, 2)
    assert math.isnan(got['IoU.sky'])  # neither predicted nor present
    for key, value in ref.items():
        assert got[key] == value
    assert abs(got['mIoU'] - (got['IoU.road'] + got['IoU.car']) / 2) <= 0.01
