# GTA5 -> Cityscapes, Pi by FDA + patch alignment (not the paper's Pi)
_base_ = ['./gta2cs_fda_patch_1xb1.py']
