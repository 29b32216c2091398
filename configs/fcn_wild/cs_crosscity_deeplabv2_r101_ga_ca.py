# FCNs in the Wild GA+CA, Cityscapes cross-city (train cities -> val cities), on DeepLabV2
# ResNet-101: a variant NOT in the paper (Hoffman et al. 2016: 67.8 mIoU with the dilated VGG-16,
# see cs_crosscity_vgg16_ga_ca.py).
# cs_crosscity_deeplabv2_r101_ga.py (from the source-only checkpoint) plus CA as
# cs_crosscity_vgg16_ga_ca.py (the paper's thresholds, argmax presence, absent classes
# suppressed, output stride 8, weight 1):
#     python tools/compute_class_stats.py configs/fcn_wild/cs_crosscity_deeplabv2_r101_ga_ca.py \
#         --out work_dirs/class_stats/cityscapes_train.json
# Model, schedule, GA and CA: _base_/adaptations/hoffman2016_deeplabv2_r101_ca.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_deeplabv2_r101_ca.py',
    '../_base_/datasets/cityscapes_crosscity.py',
]
# the source-only checkpoint that ./cs_crosscity_deeplabv2_r101_ga.py starts from
load_from = 'work_dirs/cs_crosscity_deeplabv2_r101_noaux/iter_150000.pth'
stats_file = 'work_dirs/class_stats/cityscapes_train.json'
# CA: the class-size statistics of this config's source labels (command above)
model = dict(adaptations=dict(ca=dict(
    stats_file=stats_file, classes='CityscapesDataset',
    source_config='{{ fileDirname }}/{{ fileBasename }}')))
