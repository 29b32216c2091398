# GTA5 -> Cityscapes, DACS + MIC + patch alignment on DeepLab-v2 (not a paper recipe)
_base_ = ['./gta2cs_mic_patch_deeplabv2_r101_1xb2.py']
