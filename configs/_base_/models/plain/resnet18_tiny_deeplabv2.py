# A small from-scratch DeepLabV2 for CPU runs (demo, tests): ResNet-18 at 1/4 width, output
# stride 8, plain (trainable) BatchNorm, ASPP classifier on stage 4 and an auxiliary one on
# stage 3 (loss weight 0.1), dilations scaled to the small feature maps.
# The EncoderDecoder of ./deeplabv2_r101.py (DeepLabV2Head classifier and auxiliary classifier,
# whole-image test) with this backbone from random weights, torchvision's input normalisation
# (RGB, ImageNet mean/std), four-branch heads on its narrower stages, align_corners=False and the
# loss averaged over every pixel (MMSeg's default).
_base_ = ['./deeplabv2_r101.py']
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
    ),
    decode_head=dict(
        in_channels=128, dilations=(1, 2, 3, 4), align_corners=False,
        loss_decode=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0)),
    auxiliary_head=dict(
        in_channels=64, dilations=(1, 2, 3, 4), align_corners=False,
        loss_decode=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=0.1)),
)
