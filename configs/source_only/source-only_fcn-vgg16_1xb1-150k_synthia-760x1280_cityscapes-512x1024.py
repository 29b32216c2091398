# SYNTHIA -> Cityscapes, source only (Hoffman et al. 2016)
_base_ = ['./synthia2cs_vgg16.py']
