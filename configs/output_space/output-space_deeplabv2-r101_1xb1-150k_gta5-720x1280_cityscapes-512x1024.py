# GTA5 -> Cityscapes, single-level output space (Tsai et al. CVPR 2018; Ou of ICCV 2019)
_base_ = ['./gta2cs_deeplabv2_r101_1xb1.py']
