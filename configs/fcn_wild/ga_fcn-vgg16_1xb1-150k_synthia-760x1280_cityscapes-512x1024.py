# SYNTHIA -> Cityscapes, GA (Hoffman et al. 2016)
_base_ = ['./synthia2cs_vgg16_ga.py']
