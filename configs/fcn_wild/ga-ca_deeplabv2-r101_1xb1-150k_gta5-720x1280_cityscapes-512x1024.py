# GTA5 -> Cityscapes, GA + CA on DeepLab-v2 (not in the paper)
_base_ = ['./gta2cs_deeplabv2_r101_ga_ca.py']
