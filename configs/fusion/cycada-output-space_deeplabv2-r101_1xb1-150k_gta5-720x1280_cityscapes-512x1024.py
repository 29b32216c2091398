# GTA5 -> Cityscapes, Pi + Ou (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_pi_ou_1xb1.py']
