# GTA5 -> Cityscapes, Fusion (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_fusion_1xb1.py']
