# SYNTHIA -> Cityscapes, GA, then GA + CA (Hoffman et al. 2016)
_base_ = ['./synthia2cs_vgg16_ga_then_ca.py']
