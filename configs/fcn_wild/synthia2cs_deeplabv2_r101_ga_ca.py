# FCNs in the Wild GA+CA, SYNTHIA -> Cityscapes, on DeepLabV2 ResNet-101: a variant NOT in the
# paper (Hoffman et al. 2016: 17.0 mIoU over 19 classes with the dilated VGG-16, see
# synthia2cs_vgg16_ga_ca.py); it compares with the repo's other DeepLabV2-R101 SYNTHIA configs.
# synthia2cs_deeplabv2_r101_ga.py (from the source-only checkpoint) plus CA as
# synthia2cs_vgg16_ga_ca.py (the paper's thresholds, argmax presence, absent classes suppressed,
# output stride 8, weight 1):
#     python tools/compute_class_stats.py configs/fcn_wild/synthia2cs_deeplabv2_r101_ga_ca.py \
#         --out work_dirs/class_stats/synthia.json
_base_ = ['./synthia2cs_deeplabv2_r101_ga.py']
stats_file = 'work_dirs/class_stats/synthia.json'
model = dict(
    adaptations=dict(
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
