# FCNs in the Wild, global + category-specific adaptation (GA+CA), Cityscapes cross-city
# (train cities -> val cities), dilated VGG-16 front-end.
# Reproduces: Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Table 3: 67.8 mIoU on
# Cityscapes val (source only 64.0, GA 67.6).
#
# Everything of cs_crosscity_vgg16_ga.py (model, GA, data, schedule, start from the source-only
# checkpoint), plus CA with the settings of gta2cs_vgg16_ga_ca.py (sources there): α_c/δ_c/γ_c of
# the Cityscapes train labels, presence on the argmax map d_c > 0.1·α_c, classes not present
# suppressed, δ_c ≤ fraction ≤ γ_c with lower-bound slack, x0.1 gradients for α_c > 0.1, output
# stride 8, weight 1.
#     python tools/compute_class_stats.py configs/fcn_wild/cs_crosscity_vgg16_ga_ca.py \
#         --out work_dirs/class_stats/cityscapes_train.json
# Staged instead (GA first, then GA+CA from the GA checkpoint): cs_crosscity_vgg16_ga_then_ca.py.
# Model, schedule, GA and CA: _base_/adaptations/hoffman2016_vgg16_ca.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_vgg16_ca.py',
    '../_base_/datasets/cityscapes_crosscity.py',
]
# the source-only checkpoint that ./cs_crosscity_vgg16_ga.py starts from
load_from = 'work_dirs/cs_crosscity_vgg16/iter_150000.pth'
stats_file = 'work_dirs/class_stats/cityscapes_train.json'
# CA: the class-size statistics of this config's source labels (command above)
model = dict(adaptations=dict(ca=dict(
    stats_file=stats_file, classes='CityscapesDataset',
    source_config='{{ fileDirname }}/{{ fileBasename }}')))
