# GTA5 -> Cityscapes, without adaptation (Tsai et al. CVPR 2018 / ICCV 2019)
_base_ = ['./gta2cs_deeplabv2_r101_1xb1.py']
