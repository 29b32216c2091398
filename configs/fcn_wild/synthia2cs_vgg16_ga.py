# FCNs in the Wild, global alignment only (GA), SYNTHIA -> Cityscapes, dilated VGG-16 front-end.
# Reproduces: Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Table 1: 16.6 mIoU (source
# only 14.7, GA+CA 17.0, see synthia2cs_vgg16_ga_ca.py). The paper's SYNTHIA figures are means
# over all 19 Cityscapes classes (terrain, truck and train, absent from SYNTHIA, count as 0):
# compare them with this config's `mIoU`, not with mIoU16/mIoU13
# (configs/_base_/datasets/synthia_to_cityscapes.py reports all three).
#
# Everything of gta2cs_vgg16_ga.py (model, GA on fc7 with weight 1, classifier widths, schedule;
# sources there) with SYNTHIA-RAND-CITYSCAPES at 1280x760 as the source, Cityscapes train at
# 1024x512 as the target, batch 1. Initialisation: the trained source-only model of
# configs/source_only/synthia2cs_vgg16.py (train it first), no warm-up; from ImageNet instead:
# --cfg-options load_from=None model.warmup_iters=10000.
# Model, schedule and GA: _base_/adaptations/hoffman2016_vgg16.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_vgg16.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
]
load_from = 'work_dirs/synthia2cs_vgg16/iter_150000.pth'
