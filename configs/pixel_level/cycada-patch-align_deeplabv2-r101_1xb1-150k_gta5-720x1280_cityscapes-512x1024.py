# GTA5 -> Cityscapes, Pi + patch alignment (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_cycada_patch_1xb1.py']
