# GTA5 -> Cityscapes, single-level output space on 4 GPUs (not a paper recipe)
_base_ = ['./gta2cs_deeplabv2_r101_4xb1.py']
