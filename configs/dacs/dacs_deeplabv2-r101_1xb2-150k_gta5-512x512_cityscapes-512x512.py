# GTA5 -> Cityscapes, DACS (Tranheden et al. WACV 2021)
_base_ = ['./gta2cs_deeplabv2_r101_1xb2.py']
