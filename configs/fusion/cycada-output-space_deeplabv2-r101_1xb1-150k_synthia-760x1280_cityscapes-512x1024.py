# SYNTHIA -> Cityscapes, Pi + Ou (Tsai et al. ICCV 2019)
_base_ = ['./synthia2cs_pi_ou_1xb1.py']
