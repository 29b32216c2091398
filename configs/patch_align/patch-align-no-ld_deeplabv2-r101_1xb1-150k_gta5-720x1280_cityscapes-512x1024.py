# GTA5 -> Cityscapes, Ls + Ladv without Ld ablation (Tsai et al. ICCV 2019)
_base_ = ['./gta2cs_adv_no_ld_1xb1.py']
