# GTA5 -> Cityscapes, single-level output space, four ASPP branches (not a paper recipe)
_base_ = ['./gta2cs_deeplabv2_r101_aspp4_1xb1.py']
