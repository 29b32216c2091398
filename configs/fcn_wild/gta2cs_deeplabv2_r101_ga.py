# FCNs in the Wild global alignment (GA), GTA5 -> Cityscapes, on DeepLabV2 ResNet-101: a
# variant that is NOT in the paper (Hoffman et al. 2016 use the dilated VGG-16 front-end, 25.5
# mIoU with GA, see gta2cs_vgg16_ga.py); it compares GA with the repo's other DeepLabV2-R101
# GTA5 -> Cityscapes configs (output space, patch alignment) on the same network and schedule.
#
# Hyperparameters and their sources:
# - Model: DeepLabV2 ResNet-101 (configs/_base_/models/deeplabv2_r101.py), single classifier
#   (no auxiliary head), as configs/patch_align/gta2cs.py.
# - GA: the paper's domain classifier and domain-confusion loss (weight 1, see
#   gta2cs_vgg16_ga.py) on the last representation before pixel prediction, here the 2048-channel
#   last ResNet stage (output stride 8) that feeds the ASPP classifier.
# - Classifier widths (1x1 convs 1024, 1024, 1): our choice, as in gta2cs_vgg16_ga.py.
# - Data, optimiser, schedule: the AdaptSegNet ones of this repo's GTA5 configs
#   (SGD 2.5e-4 / Adam 1e-4, poly 0.9, 150k iterations).
# - Initialisation: as the paper's recipe (gta2cs_vgg16_ga.py), the trained source-only model of
#   the same network, configs/source_only/gta2cs_deeplabv2_r101_noaux.py (train it first), no
#   warm-up; from ImageNet instead: --cfg-options load_from=None model.warmup_iters=10000.
# Model, schedule and GA: _base_/adaptations/hoffman2016_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
]
load_from = 'work_dirs/gta2cs_deeplabv2_r101_noaux/iter_150000.pth'
