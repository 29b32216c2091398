# Single-level output-space adaptation, SYNTHIA -> Cityscapes (Tsai et al. ICCV 2019, "Ou":
# 39.5 mIoU over 16 classes): as gta2cs_deeplabv2_r101_1xb1.py (one GPU, batch 1 + 1) with
# SYNTHIA (1280x760) as source. The model keeps the 19 Cityscapes outputs; evaluation reports
# mIoU (19 classes), mIoU16 and mIoU13 (mIoU*) with ClassSubsetIoUMetric
# (configs/_base_/datasets/synthia_to_cityscapes.py).
# Model, schedule and output-space adaptation: _base_/adaptations/tsai2018_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/tsai2018_deeplabv2_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
]
