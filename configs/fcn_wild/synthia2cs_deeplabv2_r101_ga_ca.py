# FCNs in the Wild GA+CA, SYNTHIA -> Cityscapes, on DeepLabV2 ResNet-101: a variant NOT in the
# paper (Hoffman et al. 2016: 17.0 mIoU with the dilated VGG-16, see synthia2cs_vgg16_ga_ca.py);
# it compares with the repo's other DeepLabV2-R101 SYNTHIA configs on the same network/schedule.
# - Model: DeepLabV2 ResNet-101, single classifier (as configs/patch_align/synthia2cs.py).
# - GA on the 2048-channel last ResNet stage, classifier (1024, 1024), weight 1; CA as
#   synthia2cs_vgg16_ga_ca.py (the paper's thresholds, output stride 8, weight 1).
# - Data/optimiser/schedule: the AdaptSegNet ones (SGD 2.5e-4 / Adam 1e-4, poly 0.9, 150k);
#   warm-up 10k source-only iterations (our choice).
#     python tools/compute_class_stats.py configs/fcn_wild/synthia2cs_deeplabv2_r101_ga_ca.py \
#         --out work_dirs/class_stats/synthia.json
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
stats_file = 'work_dirs/class_stats/synthia.json'
model = dict(
    warmup_iters=10000,
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
        ),
        ca=dict(
            type='CategoryAdaptation',
            stats_file=stats_file,
            classes='SynthiaDataset',
            source_config='{{ fileDirname }}/{{ fileBasename }}',
            loss_weight=1.0,
            output_stride=8,
            present_threshold=0.1,
            large_class_threshold=0.1,
            large_class_grad_scale=0.1,
        )),
)
