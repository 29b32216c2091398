# GTA5 -> Cityscapes, DACS + patch alignment (not in either paper)
_base_ = ['./gta2cs_patch_deeplabv2_r101_1xb2.py']
