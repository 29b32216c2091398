# GTA5 -> Cityscapes, Ps + patch alignment (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_ps_patch_1xb1.py']
