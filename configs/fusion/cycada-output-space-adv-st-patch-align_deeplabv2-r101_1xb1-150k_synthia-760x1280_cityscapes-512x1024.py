# SYNTHIA -> Cityscapes, Fusion + patch alignment (Tsai et al. ICCV 2019)
_base_ = ['./synthia2cs_fusion_patch_1xb1.py']
