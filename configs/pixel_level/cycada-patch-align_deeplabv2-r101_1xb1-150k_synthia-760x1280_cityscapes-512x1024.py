# SYNTHIA -> Cityscapes, Pi (CyCADA) + patch alignment
_base_ = ['./synthia2cs_cycada_patch_1xb1.py']
