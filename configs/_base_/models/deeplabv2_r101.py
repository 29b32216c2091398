# DeepLabV2 ResNet-101 as used by AdaptSegNet and Tsai et al. (ICCV 2019): output stride 8
# (dilations 2/4 in the last two stages), frozen BatchNorm, ASPP classifier (dilations
# 6/12/18/24, summed) on stage 4 and, for multi-level adaptation, an auxiliary ASPP classifier on
# stage 3 (loss weight 0.1). Wrapped in UDASegmentor; the heads get 10x the learning rate in the
# schedule (paramwise_cfg custom_keys 'head').
norm_cfg = dict(type='BN', requires_grad=False)
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
    type='UDASegmentor',
    warmup_iters=0,
    segmentor=dict(
        type='EncoderDecoder',
        data_preprocessor=data_preprocessor,
        backbone=dict(
            type='ResNet',
            depth=101,
            num_stages=4,
            out_indices=(0, 1, 2, 3),
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            norm_cfg=norm_cfg,
            norm_eval=True,
            style='caffe',
            contract_dilation=False,
            init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101'),
        ),
        decode_head=dict(
            type='DeepLabV2Head',
            in_channels=2048,
            in_index=3,
            num_classes=19,
            dilations=(6, 12, 18, 24),
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        ),
        auxiliary_head=dict(
            type='DeepLabV2Head',
            in_channels=1024,
            in_index=2,
            num_classes=19,
            dilations=(6, 12, 18, 24),
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1),
        ),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'),
    ),
)
