# GTA5 -> Cityscapes, a CBST re-training round (not the paper's Ps)
_base_ = ['./gta2cs_cbst_1xb1.py']
