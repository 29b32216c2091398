# SYNTHIA -> Cityscapes, Pi by FDA
_base_ = ['./synthia2cs_fda_1xb1.py']
