# SYNTHIA -> Cityscapes, Ou (Tsai et al. ICCV 2019)
_base_ = ['./synthia2cs_deeplabv2_r101_1xb1.py']
