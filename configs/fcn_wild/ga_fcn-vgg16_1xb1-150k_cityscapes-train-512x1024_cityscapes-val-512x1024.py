# Cityscapes train -> val cities, GA (Hoffman et al. 2016)
_base_ = ['./cs_crosscity_vgg16_ga.py']
