# ./gta2cs_deeplabv2_r101_1xb1.py initialised from torchvision's ImageNet-only ResNet-101
# instead of the papers' DeepLab-v2 ImageNet + COCO weights (not the paper setting): the
# ResNet is then torchvision's own (style='pytorch': stride on the 3x3 conv, as those weights
# were trained; floor-mode stem max-pool) with torchvision's input (RGB, ImageNet mean/std).
# BatchNorm mode, two-branch ASPP and loss normalisation stay as in the paper configs. The same
# override under model.segmentor turns an adaptation config into its torchvision variant.
_base_ = ['./gta2cs_deeplabv2_r101_1xb1.py']
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        style='pytorch',
        stem_pool_ceil_mode=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
