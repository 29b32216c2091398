# FCNs in the Wild, global + category-specific adaptation (GA+CA), SYNTHIA -> Cityscapes,
# dilated VGG-16 front-end.
# Reproduces: Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Table 1: 17.0 mIoU (source
# only 14.7, GA 16.6), a mean over all 19 Cityscapes classes (terrain, truck and train count as
# 0): compare it with this config's `mIoU`, not with mIoU16/mIoU13.
#
# Everything of synthia2cs_vgg16_ga.py (model, GA, data, schedule, start from the source-only
# checkpoint), plus CA with the settings of gta2cs_vgg16_ga_ca.py (sources there): α_c/δ_c/γ_c of
# the SYNTHIA training labels, presence on the argmax map d_c > 0.1·α_c, classes not present
# suppressed, δ_c ≤ fraction ≤ γ_c with lower-bound slack, x0.1 gradients for α_c > 0.1, output
# stride 8, weight 1. Terrain, truck and train never occur in SYNTHIA: their statistics are
# neutral (α = δ = 0, γ = 1), so such a class is unconstrained where it is predicted and
# suppressed where it is not.
#     python tools/compute_class_stats.py configs/fcn_wild/synthia2cs_vgg16_ga_ca.py \
#         --out work_dirs/class_stats/synthia.json
# Staged instead (GA first, then GA+CA from the GA checkpoint): synthia2cs_vgg16_ga_then_ca.py.
# Model, schedule, GA and CA: _base_/adaptations/hoffman2016_vgg16_ca.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_vgg16_ca.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
]
# the source-only checkpoint that ./synthia2cs_vgg16_ga.py starts from
load_from = 'work_dirs/synthia2cs_vgg16/iter_150000.pth'
stats_file = 'work_dirs/class_stats/synthia.json'
# CA: the class-size statistics of this config's source labels (command above)
model = dict(adaptations=dict(ca=dict(
    stats_file=stats_file, classes='SynthiaDataset',
    source_config='{{ fileDirname }}/{{ fileBasename }}')))
