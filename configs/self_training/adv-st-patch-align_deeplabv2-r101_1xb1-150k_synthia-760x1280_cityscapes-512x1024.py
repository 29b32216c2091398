# SYNTHIA -> Cityscapes, Ps + patch alignment
_base_ = ['./synthia2cs_ps_patch_1xb1.py']
