# GTA5 -> Cityscapes, single-classifier DeepLab-v2 source model (Pi and GA / CA start)
_base_ = ['./gta2cs_deeplabv2_r101_noaux.py']
