# Cityscapes train -> val cities, GA + CA jointly (Hoffman et al. 2016)
_base_ = ['./cs_crosscity_vgg16_ga_ca.py']
