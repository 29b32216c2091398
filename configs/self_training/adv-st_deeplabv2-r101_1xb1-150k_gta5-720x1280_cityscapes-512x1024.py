# GTA5 -> Cityscapes, Ps (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_ps_1xb1.py']
