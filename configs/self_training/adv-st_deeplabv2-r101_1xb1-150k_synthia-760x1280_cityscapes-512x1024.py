# SYNTHIA -> Cityscapes, Ps
_base_ = ['./synthia2cs_ps_1xb1.py']
