# FCNs in the Wild global alignment (GA), SYNTHIA -> Cityscapes, on DeepLabV2 ResNet-101: a
# variant NOT in the paper (Hoffman et al. 2016: 16.6 mIoU over 19 classes with the dilated
# VGG-16, see synthia2cs_vgg16_ga.py).
# gta2cs_deeplabv2_r101_ga.py (single classifier, GA on the 2048-channel last ResNet stage,
# classifier (1024, 1024), weight 1, AdaptSegNet schedule; sources there) with SYNTHIA as the
# source. Initialisation: the trained source-only model of the same network,
# configs/source_only/synthia2cs_deeplabv2_r101_noaux.py (train it first), no warm-up.
# Model, schedule and GA: _base_/adaptations/hoffman2016_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/hoffman2016_deeplabv2_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
]
load_from = 'work_dirs/synthia2cs_deeplabv2_r101_noaux/iter_150000.pth'
