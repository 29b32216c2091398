# GTA5 -> Cityscapes, multi-level output space (Tsai et al. CVPR 2018)
_base_ = ['./gta2cs_deeplabv2_r101_multilevel_1xb1.py']
