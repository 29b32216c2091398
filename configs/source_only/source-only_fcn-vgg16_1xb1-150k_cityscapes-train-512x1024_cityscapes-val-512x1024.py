# Cityscapes train -> val cities, source only (Hoffman et al. 2016)
_base_ = ['./cs_crosscity_vgg16.py']
