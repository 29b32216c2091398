# GTA5 -> Cityscapes, Ls + Ld ablation (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_ld_only_1xb1.py']
