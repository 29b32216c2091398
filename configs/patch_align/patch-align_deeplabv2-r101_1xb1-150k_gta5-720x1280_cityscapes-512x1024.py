# GTA5 -> Cityscapes, patch alignment (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_1xb1.py']
