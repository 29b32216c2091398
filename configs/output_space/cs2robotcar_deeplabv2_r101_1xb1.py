# Single-level output-space adaptation, Cityscapes -> Oxford RobotCar (rain), 9 classes (Tsai et
# al. ICCV 2019, "Ou": 69.5 mIoU): DeepLabV2 ResNet-101 with 9 outputs, trained on Cityscapes
# labels mapped to the RobotCar classes (configs/_base_/datasets/cityscapes_to_robotcar.py),
# λadv = 0.001, no auxiliary classifier (AdaptSegNet's single-level setting); one GPU, batch
# 1 + 1, as ./gta2cs_deeplabv2_r101_1xb1.py.
# Model, schedule and output-space adaptation: _base_/adaptations/tsai2018_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/tsai2018_deeplabv2_r101.py',
    '../_base_/datasets/cityscapes_to_robotcar.py',
]
model = dict(segmentor=dict(decode_head=dict(num_classes=9)))
