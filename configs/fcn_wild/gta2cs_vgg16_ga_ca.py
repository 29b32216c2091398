# FCNs in the Wild, global + category-specific adaptation (GA+CA), GTA5 -> Cityscapes, dilated
# VGG-16 front-end.
# Reproduces: Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016: 27.1 mIoU (19 classes;
# source only 21.1, GA 25.5).
#
# Everything of gta2cs_vgg16_ga.py (model, GA, data, schedule, start from the source-only
# checkpoint; sources there), plus CA
# (Sec. 3.2, DESIGN.md "FCNs in the Wild"):
# - class-size statistics of the GTA5 training labels: per class, over the images containing
#   it, the pixel fraction's lower 10 % boundary α_c, mean δ_c, upper 10 % boundary γ_c (paper):
#     python tools/compute_class_stats.py configs/fcn_wild/gta2cs_vgg16_ga_ca.py \
#         --out work_dirs/class_stats/gta5.json
#   (add --label-stats <gta>/labels/label_stats.json to reuse the converter's pixel counts);
# - presence d_c > 0.1·α_c (d_c: the fraction of pixels whose argmax is c), constraints
#   δ_c ≤ fraction ≤ γ_c with slack on the lower bound only, gradients x0.1 for classes with
#   α_c > 0.1: the paper; classes not present get no mass in the latent distribution (Q = 0):
#   the constrained CNN's zero constraint, to which the paper defers (suppress_absent=True);
# - the constrained multiple-instance loss (Pathak et al.'s constrained CNN) on the target
#   softmax at output stride 8 (128x64 cells of a 1024x512 image): the coarse score map before
#   the 8x upsampling, on which the constrained CNN imposes its constraints; loss weight 1
#   (the paper sums the losses; no separate weight is given in DESIGN.md);
# - slack penalty 2.0 and the dual solver's settings: NOT given in DESIGN.md; the defaults of
#   mmseg_uda.models.losses.constrained_mil (our choice; β = 2 is the constrained CNN's slack).
# - GA and CA start together, as Eq. (1) of the paper is written; staged instead (GA first, then
#   GA+CA from the GA checkpoint): gta2cs_vgg16_ga_then_ca.py.
# Model, schedule, GA and CA: _base_/adaptations/hoffman2016_vgg16_ca.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_vgg16_ca.py',
    '../_base_/datasets/gta_to_cityscapes.py',
]
# the source-only checkpoint that ./gta2cs_vgg16_ga.py starts from
load_from = 'work_dirs/gta2cs_vgg16/iter_150000.pth'
stats_file = 'work_dirs/class_stats/gta5.json'
# CA: the class-size statistics of this config's source labels (command above)
model = dict(adaptations=dict(ca=dict(
    stats_file=stats_file, classes='GTA5Dataset',
    source_config='{{ fileDirname }}/{{ fileBasename }}')))
