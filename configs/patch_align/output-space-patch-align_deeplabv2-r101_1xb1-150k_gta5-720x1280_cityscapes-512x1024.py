# GTA5 -> Cityscapes, Ou + patch alignment (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_ou_1xb1.py']
