# GTA5 -> Cityscapes, without adaptation on 4 GPUs (not a paper recipe)
_base_ = ['./gta2cs_deeplabv2_r101_4xb1.py']
