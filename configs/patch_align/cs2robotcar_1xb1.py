# Patch-level alignment, Cityscapes -> Oxford RobotCar (rain), 9 classes (Tsai et al. ICCV 2019:
# 72.0 mIoU; Ou 69.5): DeepLabV2 ResNet-101 with 9 outputs trained on Cityscapes labels mapped
# to the RobotCar classes (configs/_base_/datasets/cityscapes_to_robotcar.py), otherwise as
# gta2cs_1xb1.py (one GPU, batch 1 + 1). Patch size 32 as there: 16x32 patches per 1024x512
# source input.
#
# Modes file (K-means over the Cityscapes training label maps, 9 RobotCar classes):
#   python tools/build_patch_modes.py configs/patch_align/cs2robotcar_1xb1.py \
#       --out work_dirs/patch_modes/cs2robotcar_k50.pth
# Model, schedule and patch alignment: _base_/adaptations/tsai2019_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/tsai2019_deeplabv2_r101.py',
    '../_base_/datasets/cityscapes_to_robotcar.py',
]
modes_file = 'work_dirs/patch_modes/cs2robotcar_k50.pth'
model = dict(
    segmentor=dict(decode_head=dict(num_classes=9)),
    adaptations=dict(patch=dict(modes_file=modes_file)))
