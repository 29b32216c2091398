# SYNTHIA -> Cityscapes, Pi (CyCADA)
_base_ = ['./synthia2cs_cycada_1xb1.py']
