# GTA5 -> Cityscapes, DAFormer's strategies + patch alignment on DeepLab-v2 (not in either paper)
_base_ = ['./daformer_deeplabv2_r101_patch_gta2cs_1xb2.py']
