# FCNs in the Wild GA+CA, Cityscapes cross-city (train cities -> val cities), on DeepLabV2
# ResNet-101: a variant NOT in the paper (Hoffman et al. 2016: 67.8 mIoU with the dilated VGG-16,
# see cs_crosscity_vgg16_ga_ca.py).
# cs_crosscity_deeplabv2_r101_ga.py (from the source-only checkpoint) plus CA as
# cs_crosscity_vgg16_ga_ca.py (the paper's thresholds, argmax presence, absent classes
# suppressed, output stride 8, weight 1):
#     python tools/compute_class_stats.py configs/fcn_wild/cs_crosscity_deeplabv2_r101_ga_ca.py \
#         --out work_dirs/class_stats/cityscapes_train.json
_base_ = ['./cs_crosscity_deeplabv2_r101_ga.py']
stats_file = 'work_dirs/class_stats/cityscapes_train.json'
model = dict(
    adaptations=dict(
        ca=dict(
            type='CategoryAdaptation',
            stats_file=stats_file,
            classes='CityscapesDataset',
            source_config='{{ fileDirname }}/{{ fileBasename }}',
            loss_weight=1.0,
            output_stride=8,
            present_threshold=0.1,
            large_class_threshold=0.1,
            large_class_grad_scale=0.1,
        )),
)
