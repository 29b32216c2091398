# SYNTHIA -> Cityscapes, patch alignment (Tsai et al. ICCV 2019)
_base_ = ['./synthia2cs_1xb1.py']
