# SYNTHIA -> Cityscapes, Pi by FDA + patch alignment
_base_ = ['./synthia2cs_fda_patch_1xb1.py']
