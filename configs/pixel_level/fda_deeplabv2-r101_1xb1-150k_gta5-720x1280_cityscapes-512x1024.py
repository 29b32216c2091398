# GTA5 -> Cityscapes, Pi by FDA (not the paper's Pi)
_base_ = ['./gta2cs_fda_1xb1.py']
