# FCNs in the Wild GA+CA, SYNTHIA -> Cityscapes, on DeepLabV2 ResNet-101: a variant NOT in the
# paper (Hoffman et al. 2016: 17.0 mIoU over 19 classes with the dilated VGG-16, see
# synthia2cs_vgg16_ga_ca.py); it compares with the repo's other DeepLabV2-R101 SYNTHIA configs.
# synthia2cs_deeplabv2_r101_ga.py (from the source-only checkpoint) plus CA as
# synthia2cs_vgg16_ga_ca.py (the paper's thresholds, argmax presence, absent classes suppressed,
# output stride 8, weight 1):
#     python tools/compute_class_stats.py configs/fcn_wild/synthia2cs_deeplabv2_r101_ga_ca.py \
#         --out work_dirs/class_stats/synthia.json
# Model, schedule, GA and CA: _base_/adaptations/hoffman2016_deeplabv2_r101_ca.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_deeplabv2_r101_ca.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
]
# the source-only checkpoint that ./synthia2cs_deeplabv2_r101_ga.py starts from
load_from = 'work_dirs/synthia2cs_deeplabv2_r101_noaux/iter_150000.pth'
stats_file = 'work_dirs/class_stats/synthia.json'
# CA: the class-size statistics of this config's source labels (command above)
model = dict(adaptations=dict(ca=dict(
    stats_file=stats_file, classes='SynthiaDataset',
    source_config='{{ fileDirname }}/{{ fileBasename }}')))
