# A small from-scratch DeepLabV2 for CPU runs (demo, tests): ResNet-18 at 1/4 width, output
# stride 8, plain (trainable) BatchNorm, ASPP classifier on stage 4 and an auxiliary one on
# stage 3 (loss weight 0.1), dilations scaled to the small feature maps.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8,  # output stride; dataset configs may set a fixed size instead
)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
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
        type='DeepLabV2Head',
        in_channels=128,
        in_index=3,
        num_classes=19,
        dilations=(1, 2, 3, 4),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    ),
    auxiliary_head=dict(
        type='DeepLabV2Head',
        in_channels=64,
        in_index=2,
        num_classes=19,
        dilations=(1, 2, 3, 4),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1),
    ),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
