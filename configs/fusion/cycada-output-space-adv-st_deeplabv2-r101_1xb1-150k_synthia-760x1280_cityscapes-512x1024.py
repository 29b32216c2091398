# SYNTHIA -> Cityscapes, Fusion (Tsai et al. ICCV 2019)
_base_ = ['./synthia2cs_fusion_1xb1.py']
