# GTA5 -> Cityscapes, patch alignment on 4 GPUs (not a paper recipe)
_base_ = ['./gta2cs_4xb1.py']
