# FCNs in the Wild GA+CA, GTA5 -> Cityscapes, on DeepLabV2 ResNet-101: a variant NOT in the
# paper (Hoffman et al. 2016: 27.1 mIoU with the dilated VGG-16, see gta2cs_vgg16_ga_ca.py).
# gta2cs_deeplabv2_r101_ga.py (sources there) plus the paper's category-specific adaptation
# with the settings of gta2cs_vgg16_ga_ca.py (presence 0.1·α_c, δ_c ≤ fraction ≤ γ_c with
# lower-bound slack, x0.1 gradients for α_c > 0.1, weight 1), at DeepLabV2's output stride 8.
# Statistics of the GTA5 training labels (the same file as the VGG-16 config):
#   python tools/compute_class_stats.py configs/fcn_wild/gta2cs_deeplabv2_r101_ga_ca.py \
#       --out work_dirs/class_stats/gta5.json
# Model, schedule, GA and CA: _base_/adaptations/hoffman2016_deeplabv2_r101_ca.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_deeplabv2_r101_ca.py',
    '../_base_/datasets/gta_to_cityscapes.py',
]
# the source-only checkpoint that ./gta2cs_deeplabv2_r101_ga.py starts from
load_from = 'work_dirs/gta2cs_deeplabv2_r101_noaux/iter_150000.pth'
stats_file = 'work_dirs/class_stats/gta5.json'
# CA: the class-size statistics of this config's source labels (command above)
model = dict(adaptations=dict(ca=dict(
    stats_file=stats_file, classes='GTA5Dataset',
    source_config='{{ fileDirname }}/{{ fileBasename }}')))
