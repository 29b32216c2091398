# GTA5 -> Cityscapes, DACS + MIC on DeepLab-v2 (not a paper recipe)
_base_ = ['./gta2cs_mic_deeplabv2_r101_1xb2.py']
