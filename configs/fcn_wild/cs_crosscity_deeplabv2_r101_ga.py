# FCNs in the Wild global alignment (GA), Cityscapes cross-city (train cities -> val cities), on
# DeepLabV2 ResNet-101: a variant NOT in the paper (Hoffman et al. 2016: 67.6 mIoU with the
# dilated VGG-16, see cs_crosscity_vgg16_ga.py).
# gta2cs_deeplabv2_r101_ga.py (single classifier, GA on the 2048-channel last ResNet stage,
# classifier (1024, 1024), weight 1, AdaptSegNet schedule; sources there) on
# configs/_base_/datasets/cityscapes_crosscity.py (1024x512, batch 1). Initialisation: the
# trained source-only model of the same network,
# configs/source_only/cs_crosscity_deeplabv2_r101_noaux.py (train it first), no warm-up.
# Model, schedule and GA: _base_/adaptations/hoffman2016_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_deeplabv2_r101.py',
    '../_base_/datasets/cityscapes_crosscity.py',
]
load_from = 'work_dirs/cs_crosscity_deeplabv2_r101_noaux/iter_150000.pth'
