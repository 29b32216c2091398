# Dilated VGG-16 front-end FCN of FCNs in the Wild (Hoffman et al. 2016) = Yu & Koltun's
# front-end (ICLR 2016): VGG-16 with pool4/pool5 removed, conv5 dilated by 2, fc6 a 7x7
# convolution with dilation 4 and fc7 a 1x1 convolution (4096 channels, ReLU + dropout 0.5 in the
# backbone), output stride 8. The decode head is the fc8 1x1 classifier on fc7 (stock FCNHead
# without convs) and EncoderDecoder's bilinear resize is the 8x upsampling. GlobalFeatureAlignment
# reads fc7, the backbone's last output (in_index=-1).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # torchvision's ImageNet mean/std, RGB, 0-255
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
        type='DilatedVGG16',
        fc_channels=4096,
        dropout=0.5,
        out_indices=('conv4', 'conv5', 'fc7'),
        # Keys without prefix (loaded into the backbone itself), written by
        #   python tools/model_converters/vgg16_to_mmseg.py vgg16-397923af.pth \
        #       work_dirs/pretrained/vgg16_dilated_mmseg.pth
        # from torchvision's vgg16 weights (or Caffe-named weights, --format caffe).
        init_cfg=dict(type='Pretrained',
                      checkpoint='work_dirs/pretrained/vgg16_dilated_mmseg.pth'),
    ),
    decode_head=dict(
        type='FCNHead',  # fc8: one 1x1 convolution fc7 -> class scores
        in_channels=4096,
        in_index=-1,
        channels=4096,
        num_convs=0,
        concat_input=False,
        dropout_ratio=0,  # dropout is already applied after fc7 in the backbone
        num_classes=19,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    ),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
