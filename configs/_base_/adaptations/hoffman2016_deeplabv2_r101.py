# FCNs in the Wild GA (Hoffman et al. 2016) on DeepLabV2 ResNet-101 with a single classifier (no
# auxiliary head), a variant not in the paper: everything of
# configs/fcn_wild/*_deeplabv2_r101_ga.py but the data and the source-only checkpoint they start
# from (load_from). A config lists this file and a dataset config as its bases. GA as in
# ./hoffman2016_vgg16.py (FeatureDiscriminator 1024-1024, 1x1, BCE, weight 1, from the first
# iteration) on ResNet stage 4 (2048 channels). CA on top: ./hoffman2016_deeplabv2_r101_ca.py.
_base_ = [
    '../models/deeplabv2_r101.py',
    '../schedules/adaptsegnet_150k.py',
    '../default_runtime.py',
]
model = dict(
    warmup_iters=0,
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(
        ga=dict(
            type='GlobalFeatureAlignment',
            in_channels=2048,
            in_index=-1,  # ResNet stage 4
            loss_weight=1.0,
            gan_type='bce',
            discriminator=dict(type='FeatureDiscriminator', channels=(1024, 1024),
                               kernel_size=1),
        )),
)
