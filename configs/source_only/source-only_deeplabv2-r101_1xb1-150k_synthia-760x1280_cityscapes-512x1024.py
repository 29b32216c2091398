# SYNTHIA -> Cityscapes, single-classifier DeepLab-v2 source model (no adaptation)
_base_ = ['./synthia2cs_deeplabv2_r101_noaux.py']
