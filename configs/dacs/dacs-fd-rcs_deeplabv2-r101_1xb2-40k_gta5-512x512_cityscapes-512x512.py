# GTA5 -> Cityscapes, DAFormer's strategies on DeepLab-v2 (Hoyer et al. CVPR 2022, Table 5)
_base_ = ['./daformer_deeplabv2_r101_gta2cs_1xb2.py']
