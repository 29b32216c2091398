# FCNs in the Wild, global alignment only (GA), Cityscapes cross-city (train cities -> val
# cities), dilated VGG-16 front-end.
# Reproduces: Hoffman, Wang, Yu, Darrell, "FCNs in the Wild", 2016, Table 3: 67.6 mIoU on
# Cityscapes val (source only 64.0, GA+CA 67.8, see cs_crosscity_vgg16_ga_ca.py).
#
# Everything of gta2cs_vgg16_ga.py (model, GA on fc7 with weight 1, classifier widths, schedule;
# sources there) with the 2,975 labelled Cityscapes train images as the source and the 500 val
# images, unlabelled, as the target, all at 1024x512, batch 1
# (configs/_base_/datasets/cityscapes_crosscity.py). Initialisation: the trained source-only
# model of configs/source_only/cs_crosscity_vgg16.py (train it first), no warm-up; from ImageNet
# instead: --cfg-options load_from=None model.warmup_iters=10000.
# Model, schedule and GA: _base_/adaptations/hoffman2016_vgg16.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_vgg16.py',
    '../_base_/datasets/cityscapes_crosscity.py',
]
load_from = 'work_dirs/cs_crosscity_vgg16/iter_150000.pth'
