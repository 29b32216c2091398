# Source-only model of the DeepLabV2 ResNet-101 variant of FCNs in the Wild (NOT in the paper, which
# uses the dilated VGG-16, see gta2cs_vgg16.py), GTA5 -> Cityscapes: the single-classifier
# DeepLabV2-R101 (no auxiliary head) of configs/fcn_wild/gta2cs_deeplabv2_r101_ga.py, trained on
# GTA5 at 1280x720 only (target images are not loaded), evaluated on Cityscapes val; AdaptSegNet
# optimisation, 150k iterations, batch 1. configs/fcn_wild/gta2cs_deeplabv2_r101_ga{,_ca}.py start
# from its final checkpoint, so train it first (from the repository root):
#   python tools/train.py configs/source_only/gta2cs_deeplabv2_r101_noaux.py
#   # -> work_dirs/gta2cs_deeplabv2_r101_noaux/iter_150000.pth, their load_from
# ./gta2cs_deeplabv2_r101_1xb1.py without its auxiliary classifier
_base_ = ['./gta2cs_deeplabv2_r101_1xb1.py']
model = dict(auxiliary_head=None)
