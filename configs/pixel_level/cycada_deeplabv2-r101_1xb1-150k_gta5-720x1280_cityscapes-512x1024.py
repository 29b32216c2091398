# GTA5 -> Cityscapes, Pi (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_cycada_1xb1.py']
