# DeepLab-v2 ResNet-101 exactly as AdaptSegNet (Tsai et al., CVPR 2018) and Tsai et al. (ICCV 2019,
# which "follow the framework used in" AdaptSegNet) train it; see docs/reproduction.md for every
# setting next to the reference code (wasidennis/AdaptSegNet, model/deeplab_multi.py and
# train_gta2cityscapes_multi.py):
# - backbone: Caffe-style ResNet-101 (stride on the 1x1 conv, 7x7 stem, ceil-mode stem max-pool),
#   output stride 8 (stages 3/4 dilated 2/4), initialised from DeepLab-v2's ImageNet + MS-COCO
#   weights; convert them once with
#     python tools/model_converters/deeplabv2_to_mmseg.py \
#         DeepLab_resnet_pretrained_init-f81d91e8.pth \
#         work_dirs/pretrained/deeplabv2_resnet101_coco_init_mmseg.pth
# - input: BGR in [0, 255] minus the Caffe mean, no std (the weights' own input);
# - BatchNorm: affine frozen, statistics of each (batch-1) forward, running statistics updated by
#   the source and the target forwards (bn_mode='frozen_affine'; 'frozen' fixes them too);
# - classifier: ASPP branches with dilations 6 and 12 summed: the reference Classifier_Module
#   returns inside its loop after the second branch, so its 18/24 branches never run (the
#   four-branch DeepLab-v2 head is the variant dilations=(6, 12, 18, 24));
# - an auxiliary classifier of the same kind on stage 3 (loss weight 0.1, multi-level only);
# - segmentation loss averaged over the labelled pixels (avg_non_ignore), logits upsampled with
#   align_corners=True (PyTorch's bilinear nn.Upsample of the reference's era);
# - the heads get 10x the learning rate in the schedule (paramwise_cfg custom_keys 'head').
# The ImageNet-only torchvision alternative:
#   configs/source_only/gta2cs_deeplabv2_r101_torchvision_1xb1.py.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[104.00698793, 116.66876762, 122.67891434],
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8,  # output stride; dataset configs may set a fixed size instead
)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='DeepLabV2ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        bn_mode='frozen_affine',
        norm_cfg=dict(type='BN', requires_grad=False),
        style='caffe',
        stem_pool_ceil_mode=True,
        contract_dilation=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/pretrained/deeplabv2_resnet101_coco_init_mmseg.pth'),
    ),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        in_index=3,
        num_classes=19,
        dilations=(6, 12),
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True),
    ),
    auxiliary_head=dict(
        type='DeepLabV2Head',
        in_channels=1024,
        in_index=2,
        num_classes=19,
        dilations=(6, 12),
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1, avg_non_ignore=True),
    ),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
